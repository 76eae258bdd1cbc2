import { createHash } from 'node:crypto';
import type { KeySpaceCache } from '../cache/key-space-cache';
import type { HeartbeatTimes } from '../instances/heartbeat-times';
import type { InstanceList } from '../instances/instance-registry';
import { servicePrefix } from '../keys';
import { DecodedInstances } from './decoded-instances';

/** GET .../instances ready to write: the JSON body, the revision it reflects and its ETag. */
export interface SerializedInstanceList {
  readonly revision: number;
  readonly body: Buffer;
  /** A strong ETag: the revision and a digest of the instances, so a change of either changes it. */
  readonly etag: string;
}

/** One service and filter, as last built. */
interface KeptList {
  /** What the instances were built from: the group's keys and this node's heartbeat times. */
  groupStamp: number;
  heartbeatStamp: number;
  /** The digest of the instances' JSON (for the ETag). */
  digest: string;
  /** The whole answer at `answer.revision`... */
  answer: SerializedInstanceList;
  /** ...whose bytes from here on are the instances' JSON and the closing brace. */
  instancesAt: number;
}

/** Kept answers of services that lost their instances are dropped after this many builds. */
const PRUNE_EVERY_BUILDS = 1_000;

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * An InstanceList's JSON is this head, the instances array's JSON and '}': the same bytes as
 * JSON.stringify({namespace, service, revision, instances}).
 */
function listHead(ns: string, svc: string, revision: number): string {
  return `{"namespace":${JSON.stringify(ns)},"service":${JSON.stringify(svc)},"revision":${revision},"instances":`;
}

function etagOf(revision: number, digest: string): string {
  return `"${revision}-${digest}"`;
}

function digestOf(json: string): string {
  return createHash('sha1').update(json).digest('base64url').slice(0, 16);
}

/** Serializes a list computed elsewhere (the L2 and degraded paths), with the same ETag scheme. */
export function serializeInstanceList(list: InstanceList): SerializedInstanceList {
  const instancesJson = JSON.stringify(list.instances);
  return {
    revision: list.revision,
    body: Buffer.from(`${listHead(list.namespace, list.service, list.revision)}${instancesJson}}`),
    etag: etagOf(list.revision, digestOf(instancesJson)),
  };
}

/**
 * Discovery answers from L1, kept serialized per (service, healthy filter) so that a query is a
 * map lookup: the instances' JSON is rebuilt only when a key of the service or one of its
 * heartbeat times changed (the cache's and HeartbeatTimes' group stamps), and the body around it
 * whenever the cache's revision moved. Everything is checked synchronously against the cache
 * at the moment of the answer, so a kept answer is exactly what a fresh computation would give
 * now: it never shows an older revision or older instances than the cache holds.
 *
 * Not for degraded mode, where instances expire with the clock (the caller computes those).
 */
export class InstanceListAnswers {
  private readonly kept = new Map<string, KeptList>();
  private readonly decoded = new DecodedInstances();
  private builds = 0;

  constructor(
    private readonly cache: KeySpaceCache,
    private readonly heartbeats: HeartbeatTimes,
  ) {}

  /** The answer for `ns`/`svc` as the cache shows it now (instances sorted by id). */
  answer(ns: string, svc: string, healthyOnly: boolean): SerializedInstanceList {
    const group = servicePrefix(ns, svc);
    const name = healthyOnly ? `${group}?healthy` : group;
    const revision = this.cache.revision;
    const groupStamp = this.cache.groupStamp(group);
    const heartbeatStamp = this.heartbeats.groupStamp(group);
    const list = this.kept.get(name);
    if (list && list.groupStamp === groupStamp && list.heartbeatStamp === heartbeatStamp) {
      if (list.answer.revision !== revision) {
        // Only the revision moved (a change elsewhere): the same instances under a new head.
        const head = Buffer.from(listHead(ns, svc, revision));
        list.answer = {
          revision,
          body: Buffer.concat([head, list.answer.body.subarray(list.instancesAt)]),
          etag: etagOf(revision, list.digest),
        };
        list.instancesAt = head.length;
      }
      return list.answer;
    }
    // A service without instances: nothing worth keeping (nor growing the map with).
    if (groupStamp === 0) {
      this.kept.delete(name);
      return serializeInstanceList({ namespace: ns, service: svc, revision, instances: [] });
    }
    const instancesJson = this.instancesJson(group, healthyOnly);
    const digest = digestOf(instancesJson);
    const head = listHead(ns, svc, revision);
    const built: KeptList = {
      groupStamp,
      heartbeatStamp,
      digest,
      answer: { revision, body: Buffer.from(`${head}${instancesJson}}`), etag: etagOf(revision, digest) },
      instancesAt: Buffer.byteLength(head),
    };
    if (++this.builds % PRUNE_EVERY_BUILDS === 0) this.prune();
    this.kept.set(name, built);
    return built.answer;
  }

  /** Forgets the answers of services whose keys changed since (they would be rebuilt anyway). */
  private prune(): void {
    for (const [name, list] of this.kept) {
      const group = name.endsWith('?healthy') ? name.slice(0, -'?healthy'.length) : name;
      if (this.cache.groupStamp(group) !== list.groupStamp) this.kept.delete(name);
    }
  }

  private instancesJson(group: string, healthyOnly: boolean): string {
    const entries: { id: string; json: string }[] = [];
    for (const kv of this.cache.list(group)) {
      const { instance, json } = this.decoded.get(kv, this.heartbeats.get(kv.key));
      if (!instance || json === undefined) continue;
      if (healthyOnly && !(instance.healthy && instance.enabled)) continue;
      entries.push({ id: instance.id, json });
    }
    entries.sort(byId);
    return `[${entries.map((e) => e.json).join(',')}]`;
  }
}
