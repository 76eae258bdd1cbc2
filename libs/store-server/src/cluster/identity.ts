import type { Bucket } from '@skyroad/store-engine';
import type { StoreConfig } from '../config/flags';
import { FlagError } from '../config/flags';
import type { TlsMaterial } from '../config/tls';
import { queryCluster } from '../peer/peer-server';
import { clusterIdFor, memberIdFor } from './ids';
import type { MemberRecord, MembershipState } from './membership';

/**
 * Keys of the server's records in the engine's `ext` bucket. They are replicated state (a
 * snapshot from the leader carries them), so the member's own identity is not among them: it
 * lives in the WAL's metadata, as in etcd.
 */
export const MEMBERS_KEY = Buffer.from('members');
export const AUTH_KEY = Buffer.from('auth');

export interface Identity {
  memberId: number;
  clusterId: string;
}

export interface ClusterInfo {
  clusterId: string;
  members: MemberRecord[];
}

export interface Bootstrap {
  identity: Identity;
  membership: MembershipState;
  /** Voters for a fresh Raft log; empty on restart. */
  voters: number[];
  restart: boolean;
}

export function readJson<T>(bucket: Bucket, key: Buffer): T | undefined {
  const raw = bucket.get(key);
  return raw ? (JSON.parse(raw.toString('utf8')) as T) : undefined;
}

export function writeJson(bucket: Bucket, key: Buffer, value: unknown): void {
  bucket.put(key, Buffer.from(JSON.stringify(value)));
}

/** The members of a new cluster, exactly as every member computes them from the same flags. */
function initialMembers(config: StoreConfig): MemberRecord[] {
  return [...config.initialCluster].map(([name, peerUrls]) => ({
    id: memberIdFor(peerUrls, config.initialClusterToken),
    name,
    peerUrls,
    clientUrls: name === config.name ? config.advertiseClientUrls : [],
    isLearner: false,
  }));
}

/** Asks the other members listed in --initial-cluster who the cluster is, until one answers. */
async function joinExisting(config: StoreConfig, tls: TlsMaterial | undefined): Promise<ClusterInfo> {
  const errors: string[] = [];
  for (const [name, urls] of config.initialCluster) {
    if (name === config.name) continue;
    for (const url of urls) {
      try {
        return (await queryCluster(url, tls)) as ClusterInfo;
      } catch (error) {
        errors.push(`${url}: ${(error as Error).message}`);
      }
    }
  }
  throw new FlagError(`cannot reach any member of the existing cluster (${errors.join('; ')})`);
}

/**
 * Who this member is: `saved` (from the WAL's metadata) on restart, when flags about the
 * cluster are ignored as etcd does; derived from --initial-cluster for a new cluster, or learned
 * from the running members when joining with --initial-cluster-state existing.
 */
export async function resolveBootstrap(
  config: StoreConfig,
  ext: Bucket,
  tls: TlsMaterial | undefined,
  saved: Identity | undefined,
): Promise<Bootstrap> {
  if (saved) {
    const membership = readJson<MembershipState>(ext, MEMBERS_KEY) ?? { members: [], removed: [] };
    return { identity: saved, membership, voters: [], restart: true };
  }
  if (config.initialClusterState === 'new') {
    const members = initialMembers(config);
    const self = members.find((m) => m.name === config.name)!;
    const advertised = [...config.initialAdvertisePeerUrls].sort().join(',');
    if ([...self.peerUrls].sort().join(',') !== advertised) {
      throw new FlagError(
        `--initial-cluster must include ${config.name}=${config.initialAdvertisePeerUrls.join(',')} ` +
          `(it says ${self.peerUrls.join(',')})`,
      );
    }
    const identity = { memberId: self.id, clusterId: clusterIdFor(members.map((m) => m.id)).toString() };
    return {
      identity,
      membership: { members, removed: [] },
      voters: members.map((m) => m.id),
      restart: false,
    };
  }
  const info = await joinExisting(config, tls);
  const self = info.members.find((m) => m.peerUrls.some((u) => config.initialAdvertisePeerUrls.includes(u)));
  if (!self) {
    throw new FlagError(
      `this member (${config.initialAdvertisePeerUrls.join(',')}) has not been added to the cluster: ` +
        'run `etcdctl member add` first',
    );
  }
  self.name = config.name;
  self.clientUrls = config.advertiseClientUrls;
  return {
    identity: { memberId: self.id, clusterId: info.clusterId },
    membership: { members: info.members, removed: [] },
    voters: info.members.filter((m) => !m.isLearner).map((m) => m.id),
    restart: false,
  };
}
