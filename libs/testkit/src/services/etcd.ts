import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { etcdBinary, etcdctlBinary } from '../env';
import { freePorts } from '../ports';
import { httpOk } from '../wait';
import type { ManagedProcess } from '../process/managed-process';
import type { ProcessSet } from '../process/process-set';

export interface EtcdMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  process: ManagedProcess;
}

export interface EtcdCluster {
  members: EtcdMember[];
  /** Client URLs of every member, for clients and etcdctl's --endpoints. */
  endpoints: string[];
}

export interface EtcdClusterOptions {
  size?: number;
  /** Prefix of member names and of the cluster token, so parallel clusters never mix. */
  name?: string;
  /** Extra etcd flags for every member. */
  extraArgs?: string[];
}

/**
 * Starts a real etcd cluster (Debian's etcd-server) of `size` members on free loopback ports
 * and waits until it has a leader. The processes belong to `processes`.
 */
export async function startEtcdCluster(
  processes: ProcessSet,
  options: EtcdClusterOptions = {},
): Promise<EtcdCluster> {
  const size = options.size ?? 1;
  const prefix = options.name ?? `etcd${Math.floor(Math.random() * 1e6)}`;
  const ports = await freePorts(size * 2);
  const specs = Array.from({ length: size }, (_, i) => ({
    name: `${prefix}-${i + 1}`,
    clientUrl: `http://127.0.0.1:${ports[2 * i]}`,
    peerUrl: `http://127.0.0.1:${ports[2 * i + 1]}`,
    dataDir: join(processes.tempDir(`${prefix}-${i + 1}-`), 'data'),
  }));
  const initialCluster = specs.map((s) => `${s.name}=${s.peerUrl}`).join(',');
  // Members are started together: none can elect a leader alone.
  const started = await Promise.all(
    specs.map((spec) =>
      processes.spawn({
        name: spec.name,
        command: etcdBinary(),
        args: [
          ...etcdMemberFlags({
            name: spec.name,
            clientUrl: spec.clientUrl,
            peerUrl: spec.peerUrl,
            dataDir: spec.dataDir,
            initialCluster,
            token: prefix,
            logLevel: 'warn',
          }),
          ...(options.extraArgs ?? []),
        ],
        // /health answers true only once the member sees a leader.
        ready: () => httpOk(`${spec.clientUrl}/health`),
      }),
    ),
  );
  const members = specs.map((spec, i) => ({ ...spec, process: started[i] }));
  return { members, endpoints: members.map((m) => m.clientUrl) };
}

export interface EtcdMemberSpec {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  /** `name=peerUrl,...` of every member. */
  initialCluster: string;
  token: string;
  state?: 'new' | 'existing';
  logLevel?: string;
}

/**
 * The flags of one cluster member, in etcd's names; skyroad-store takes the same ones, so the
 * store's tests start members with these too.
 */
export function etcdMemberFlags(spec: EtcdMemberSpec): string[] {
  return [
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
    spec.initialCluster,
    '--initial-cluster-state',
    spec.state ?? 'new',
    '--initial-cluster-token',
    spec.token,
    '--log-level',
    spec.logLevel ?? 'info',
  ];
}

export interface EtcdctlResult {
  stdout: string;
  stderr: string;
}

const ETCDCTL_TIMEOUT_MS = 30_000;

/** Runs the real etcdctl (API v3) against `endpoints`; rejects with its stderr on failure. */
export function etcdctl(endpoints: string[], args: string[], input?: string): Promise<EtcdctlResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      etcdctlBinary(),
      [`--endpoints=${endpoints.join(',')}`, ...args],
      { env: { ...process.env, ETCDCTL_API: '3' }, timeout: ETCDCTL_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`etcdctl ${args.join(' ')} failed: ${stderr.trim() || error.message}`));
          return;
        }
        resolve({ stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}
