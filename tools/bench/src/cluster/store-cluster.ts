import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { etcdBinary } from '../machine';
import { SuiteUnavailableError } from '../suite';
import { freePorts } from '@skyroad/ports';
import { httpGet, WaitAbandoned, waitUntil } from './net';
import { startProcess, tempDir, type BenchProcess } from './processes';

const START_TIMEOUT_MS = 30_000;

export type StoreKind = 'etcd' | 'skyroad-store';

export interface StoreMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  process: BenchProcess;
}

/** A running 3-member (or 1-member) cluster of etcd or skyroad-store on loopback. */
export interface StoreCluster {
  readonly kind: StoreKind;
  readonly members: StoreMember[];
  readonly endpoints: string[];
  /** "etcd 3.4.23 x3", "skyroad-store x3". */
  readonly label: string;
}

/** apps/store/bin/skyroad-store.js from the repository root. */
export function skyroadStoreBin(): string {
  return (
    process.env['SKYROAD_BENCH_STORE_BIN'] ??
    join(__dirname, '..', '..', '..', '..', 'apps', 'store', 'bin', 'skyroad-store.js')
  );
}

/**
 * Why a store cannot run here, or null when it can. etcd must be on the PATH (or
 * SKYROAD_BENCH_ETCD_BIN); skyroad-store must be built (`nx run store:build`).
 */
export function unavailableReason(kind: StoreKind): string | null {
  if (kind === 'etcd') {
    const probe = spawnSync(etcdBinary(), ['--version'], { encoding: 'utf8', timeout: 5_000 });
    if (probe.error || probe.status !== 0)
      return `etcd binary ${JSON.stringify(etcdBinary())} not found or not runnable (install Debian's etcd-server, or set SKYROAD_BENCH_ETCD_BIN)`;
    return null;
  }
  const bin = skyroadStoreBin();
  if (!existsSync(bin)) return `${bin} not found`;
  const main = join(bin, '..', '..', 'dist', 'main.js');
  if (!existsSync(main))
    return `skyroad-store is not built (${main} missing; run NX_DAEMON=false npx nx run store:build)`;
  return null;
}

/** Throws SuiteUnavailableError when etcd, the competitor of every store-backed suite, is missing. */
export function requireEtcd(): void {
  const reason = unavailableReason('etcd');
  if (reason) throw new SuiteUnavailableError(reason);
}

export interface StartStoreOptions {
  readonly size: number;
  readonly name: string;
  /** Extra flags for every member. */
  readonly extraArgs?: readonly string[];
}

/** Starts the members together (none can elect a leader alone) and waits until /health is true. */
export async function startStoreCluster(kind: StoreKind, options: StartStoreOptions): Promise<StoreCluster> {
  const ports = await freePorts(options.size * 2);
  const specs = Array.from({ length: options.size }, (_, i) => ({
    name: `${options.name}-${i + 1}`,
    clientUrl: `http://127.0.0.1:${ports[2 * i]}`,
    peerUrl: `http://127.0.0.1:${ports[2 * i + 1]}`,
    dataDir: join(tempDir(`${options.name}-${i + 1}-`), 'data'),
  }));
  const initialCluster = specs.map((s) => `${s.name}=${s.peerUrl}`).join(',');
  const members: StoreMember[] = specs.map((spec) => ({
    ...spec,
    process: startMember(kind, spec, initialCluster, options),
  }));
  await Promise.all(members.map((m) => waitHealthy(m)));
  const version = kind === 'etcd' ? ` ${etcdVersionShort()}` : '';
  return {
    kind,
    members,
    endpoints: members.map((m) => m.clientUrl),
    label: `${kind}${version} x${options.size}`,
  };
}

function etcdVersionShort(): string {
  const out = spawnSync(etcdBinary(), ['--version'], { encoding: 'utf8' }).stdout ?? '';
  return /etcd Version:\s*(\S+)/.exec(out)?.[1] ?? '';
}

function startMember(
  kind: StoreKind,
  spec: { name: string; clientUrl: string; peerUrl: string; dataDir: string },
  initialCluster: string,
  options: StartStoreOptions,
): BenchProcess {
  const flags = [
    '--name',
    spec.name,
    '--data-dir',
    spec.dataDir,
    '--listen-client-urls',
    spec.clientUrl,
    '--advertise-client-urls',
    spec.clientUrl,
    '--listen-peer-urls',
    spec.peerUrl,
    '--initial-advertise-peer-urls',
    spec.peerUrl,
    '--initial-cluster',
    initialCluster,
    '--initial-cluster-state',
    'new',
    '--initial-cluster-token',
    options.name,
    '--log-level',
    'warn',
    ...(options.extraArgs ?? []),
  ];
  return kind === 'etcd'
    ? startProcess({ name: spec.name, command: etcdBinary(), args: flags })
    : startProcess({
        name: spec.name,
        command: process.execPath,
        args: [
          // e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to see where each member spends its time
          ...(process.env['SKYROAD_BENCH_STORE_NODE_ARGS'] ?? '').split(' ').filter(Boolean),
          skyroadStoreBin(),
          ...flags,
        ],
      });
}

async function waitHealthy(member: StoreMember): Promise<void> {
  try {
    await waitUntil(
      `${member.name} /health`,
      async () => {
        if (!member.process.running) throw new WaitAbandoned('the process exited');
        const res = await httpGet(`${member.clientUrl}/health`);
        return res.status === 200 && /"health"\s*:\s*"?true/.test(res.body);
      },
      START_TIMEOUT_MS,
    );
  } catch (error) {
    throw new Error(`${member.name} did not become healthy: ${String(error)}\n${member.process.logTail()}`);
  }
}
