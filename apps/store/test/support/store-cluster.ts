import { join } from 'node:path';
import { etcdMemberFlags, freePorts, httpOk, type ManagedProcess, type ProcessSet } from '@skyroad/testkit';

/** The built command, as `npx skyroad-store` runs it. */
export const STORE_BIN = join(__dirname, '..', '..', 'bin', 'skyroad-store.js');
/** Generous: the machine is shared, and a member starts by opening LMDB and electing a leader. */
export const MEMBER_READY_TIMEOUT_MS = 30_000;

export interface StoreMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  args: string[];
  process: ManagedProcess;
}

export interface StoreCluster {
  members: StoreMember[];
  endpoints: string[];
  token: string;
  initialCluster: string;
}

export interface StoreClusterOptions {
  size?: number;
  name?: string;
  extraArgs?: string[];
  /** https for client and peer URLs (pass the TLS flags in extraArgs). */
  scheme?: 'http' | 'https';
  /** Data dirs to start on (e.g. restored from a snapshot); fresh temporary ones by default. */
  dataDirs?: string[];
  /** Readiness probe for a member, when plain GET /health cannot reach it (mutual TLS). */
  ready?: (clientUrl: string) => Promise<boolean>;
}

/** One member's flags (etcd's names, which skyroad-store takes unchanged). */
export const memberArgs = etcdMemberFlags;

export function spawnMember(
  processes: ProcessSet,
  name: string,
  args: string[],
  clientUrl: string,
  ready: () => Promise<boolean> = () => httpOk(`${clientUrl}/health`),
) {
  return processes.spawn({
    name,
    command: process.execPath,
    args: [STORE_BIN, ...args],
    ready,
    readyTimeoutMs: MEMBER_READY_TIMEOUT_MS,
  });
}

/** Starts `size` skyroad-store members on free loopback ports and waits until each sees a leader. */
export async function startStoreCluster(
  processes: ProcessSet,
  options: StoreClusterOptions = {},
): Promise<StoreCluster> {
  const size = options.size ?? 3;
  const prefix = options.name ?? `store${Math.floor(Math.random() * 1e6)}`;
  const ports = await freePorts(size * 2);
  const specs = Array.from({ length: size }, (_, i) => ({
    name: `${prefix}-${i + 1}`,
    clientUrl: `${options.scheme ?? 'http'}://127.0.0.1:${ports[2 * i]}`,
    peerUrl: `${options.scheme ?? 'http'}://127.0.0.1:${ports[2 * i + 1]}`,
    dataDir: options.dataDirs?.[i] ?? join(processes.tempDir(`${prefix}-${i + 1}-`), 'data'),
  }));
  const initialCluster = specs.map((s) => `${s.name}=${s.peerUrl}`).join(',');
  const members = await Promise.all(
    specs.map(async (spec) => {
      const args = [...memberArgs({ ...spec, initialCluster, token: prefix }), ...(options.extraArgs ?? [])];
      const ready = options.ready ? () => options.ready!(spec.clientUrl) : undefined;
      return { ...spec, args, process: await spawnMember(processes, spec.name, args, spec.clientUrl, ready) };
    }),
  );
  return { members, endpoints: members.map((m) => m.clientUrl), token: prefix, initialCluster };
}
