import Redis, { Cluster } from 'ioredis';
import { createHash } from 'node:crypto';
import type { StoredKey } from '../store/registry-store';
import type { CachePublisher, GroupSnapshot } from './key-space-cache';

/** Redis calls get this long before L2 is skipped for them. */
export const L2_COMMAND_TIMEOUT_MS = 1_000;
/** Reconnect attempts back off up to this. */
export const L2_RECONNECT_MAX_MS = 2_000;
/** Groups written per pipeline when the whole key space is published. */
export const L2_PUBLISH_BATCH_GROUPS = 200;
/** Changes are gathered this long before they are written, so a burst costs one round trip. */
export const L2_FLUSH_DELAY_MS = 20;

/**
 * The default prefix of every L2 key: one key space per store cluster (named by its sorted
 * endpoints), so registries of different clusters sharing one Redis never mix their copies.
 */
export function defaultL2KeyPrefix(storeEndpoints: readonly string[]): string {
  const digest = createHash('sha256')
    .update([...storeEndpoints].sort().join(','))
    .digest('hex')
    .slice(0, 12);
  return `skyroad:l2:${digest}:`;
}

/**
 * Writes only forward: a copy is replaced only by one of a higher store revision, so a slow or
 * restarted node can never put older data over newer data written by another node.
 */
const FORWARD_ONLY_SET = `
local current = redis.call('HGET', KEYS[1], 'rev')
if current and tonumber(current) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'rev', ARGV[1], 'kvs', ARGV[2])
return 1`;

const FORWARD_ONLY_REVISION = `
local current = redis.call('GET', KEYS[1])
if current and tonumber(current) >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
return 1`;

export type L2State = 'connecting' | 'up' | 'down' | 'closed';

export interface L2Stats {
  hits: number;
  misses: number;
  /** Reads or writes skipped because Redis did not answer. */
  errors: number;
  writes: number;
  /** Writes Redis refused because it already held a newer revision. */
  staleWritesRefused: number;
}

export interface L2Group {
  revision: number;
  kvs: StoredKey[];
}

type RedisClient = Redis | Cluster;

/** Removes a journal entry only if it is still the one replayed (a newer one for the key stays). */
const DELETE_IF_UNCHANGED = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0`;

interface ForwardOnly {
  skyroadDeleteIfUnchanged(key: string, field: string, value: string): Promise<number>;
  skyroadSetForward(key: string, revision: string, kvs: string): Promise<number>;
  skyroadRevisionForward(key: string, revision: string): Promise<number>;
}

/**
 * L2: a copy of the registry's key space in Redis shared by every registry node, one hash per
 * group (a service's instances, a policy, the namespaces) with the store revision it reflects.
 * Every node publishes what its L1 cache sees; a starting node reads it to answer before it
 * has loaded from the store. Redis being down never fails a request: the call is skipped, counted
 * in `stats.errors`, and the change of state reported once through `onStateChange`.
 */
export class RedisL2Cache implements CachePublisher {
  readonly stats: L2Stats = { hits: 0, misses: 0, errors: 0, writes: 0, staleWritesRefused: 0 };
  private readonly client: RedisClient & ForwardOnly;
  private stateValue: L2State = 'connecting';
  private pending = new Map<string, StoredKey[]>();
  private pendingRevision = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  private readonly groupsIndexKey: string;
  private readonly revisionKey: string;
  private readonly journalKey: string;

  constructor(
    readonly url: string,
    readonly keyPrefix: string,
    private readonly onStateChange: (state: L2State, error?: Error) => void = () => undefined,
    cluster = false,
  ) {
    this.groupsIndexKey = `${keyPrefix}groups`;
    this.revisionKey = `${keyPrefix}revision`;
    this.journalKey = `${keyPrefix}journal`;
    const options = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: L2_COMMAND_TIMEOUT_MS * 2,
      commandTimeout: L2_COMMAND_TIMEOUT_MS,
      retryStrategy: (attempt: number) => Math.min(attempt * 100, L2_RECONNECT_MAX_MS),
      lazyConnect: false,
    };
    let client: RedisClient;
    if (cluster) {
      // `url` is one node of the cluster; the client learns the others from it.
      const seed = new URL(url);
      client = new Cluster([{ host: seed.hostname, port: Number(seed.port || 6379) }], {
        redisOptions: {
          ...options,
          username: seed.username ? decodeURIComponent(seed.username) : undefined,
          password: seed.password ? decodeURIComponent(seed.password) : undefined,
          tls: seed.protocol === 'rediss:' ? {} : undefined,
        },
        enableOfflineQueue: false,
        clusterRetryStrategy: options.retryStrategy,
      });
    } else client = new Redis(url, options);
    client.defineCommand('skyroadSetForward', { numberOfKeys: 1, lua: FORWARD_ONLY_SET });
    client.defineCommand('skyroadRevisionForward', { numberOfKeys: 1, lua: FORWARD_ONLY_REVISION });
    client.defineCommand('skyroadDeleteIfUnchanged', { numberOfKeys: 1, lua: DELETE_IF_UNCHANGED });
    client.on('ready', () => this.setState('up'));
    client.on('error', (error: Error) => this.setState('down', error));
    client.on('end', () => this.setState(this.stateValue === 'closed' ? 'closed' : 'down'));
    this.client = client as RedisClient & ForwardOnly;
  }

  /** One Redis hash per group; the braces make each its own hash slot in Redis Cluster. */
  groupKey(group: string): string {
    return `${this.keyPrefix}g:{${group}}`;
  }

  get state(): L2State {
    if (this.stateValue === 'closed') return 'closed';
    return this.connected ? 'up' : this.stateValue === 'connecting' ? 'connecting' : 'down';
  }

  private setState(state: L2State, error?: Error): void {
    if (this.stateValue === 'closed' || this.stateValue === state) return;
    this.stateValue = state;
    this.onStateChange(state, error);
  }

  /** Whether the connection is up now (a slow command does not make it down). */
  private get connected(): boolean {
    return this.stateValue !== 'closed' && this.client.status === 'ready';
  }

  private failed(error: unknown): undefined {
    this.stats.errors++;
    if (!this.connected) this.setState('down', error as Error);
    return undefined;
  }

  /** Waits (bounded) until Redis answers; answers whether it does. */
  async ready(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.connected && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return this.connected;
  }

  publish(groups: GroupSnapshot[], revision: number): void {
    if (this.stateValue === 'closed') return;
    for (const { group, kvs } of groups) this.pending.set(group, kvs);
    this.pendingRevision = Math.max(this.pendingRevision, revision);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      this.flushing = this.flushing.then(() => this.flush());
    }, L2_FLUSH_DELAY_MS);
  }

  /** Writes what was published and not yet written (changes while Redis is down are dropped). */
  private async flush(): Promise<void> {
    const groups = [...this.pending.entries()];
    const revision = this.pendingRevision;
    this.pending = new Map();
    if (groups.length === 0 || !this.connected) {
      if (groups.length > 0) this.stats.errors++;
      return;
    }
    try {
      for (let i = 0; i < groups.length; i += L2_PUBLISH_BATCH_GROUPS) {
        const batch = groups.slice(i, i + L2_PUBLISH_BATCH_GROUPS);
        const results = await Promise.all(
          batch.map(([group, kvs]) =>
            this.client.skyroadSetForward(this.groupKey(group), String(revision), JSON.stringify(kvs)),
          ),
        );
        await this.client.sadd(this.groupsIndexKey, ...batch.map(([group]) => group));
        for (const written of results) {
          if (written === 1) this.stats.writes++;
          else this.stats.staleWritesRefused++;
        }
      }
      await this.client.skyroadRevisionForward(this.revisionKey, String(revision));
    } catch (error) {
      this.failed(error);
    }
  }

  /** Waits until everything published so far has been written (or skipped). */
  async drain(): Promise<void> {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
      this.flushing = this.flushing.then(() => this.flush());
    }
    await this.flushing;
  }

  /** One group's copy, or undefined when L2 has none or does not answer (counted as a miss). */
  async readGroup(group: string): Promise<L2Group | undefined> {
    if (!this.connected) {
      this.stats.misses++;
      return this.failed(new Error('redis is not connected'));
    }
    try {
      const [revision, kvs] = await this.client.hmget(this.groupKey(group), 'rev', 'kvs');
      if (revision === null || kvs === null) {
        this.stats.misses++;
        return undefined;
      }
      this.stats.hits++;
      return { revision: Number(revision), kvs: JSON.parse(kvs) as StoredKey[] };
    } catch (error) {
      this.stats.misses++;
      return this.failed(error);
    }
  }

  /** Every group L2 holds and the revision they reflect, or undefined when L2 is empty or down. */
  async readAll(): Promise<{ revision: number; groups: GroupSnapshot[] } | undefined> {
    if (!this.connected) return this.failed(new Error('redis is not connected'));
    try {
      const revision = await this.client.get(this.revisionKey);
      if (revision === null) return undefined;
      const names = await this.client.smembers(this.groupsIndexKey);
      const groups: GroupSnapshot[] = [];
      for (let i = 0; i < names.length; i += L2_PUBLISH_BATCH_GROUPS) {
        const batch = names.slice(i, i + L2_PUBLISH_BATCH_GROUPS);
        const values = await Promise.all(batch.map((group) => this.client.hget(this.groupKey(group), 'kvs')));
        batch.forEach((group, j) => {
          const kvs = values[j];
          if (kvs) groups.push({ group, kvs: JSON.parse(kvs) as StoredKey[] });
        });
      }
      return { revision: Number(revision), groups };
    } catch (error) {
      return this.failed(error);
    }
  }

  // ---- the degraded-mode journal: one entry per key (the last change wins), shared by every node

  /** Records `entry` for `field`; answers false (and counts an error) when Redis does not take it. */
  async journalPut(field: string, entry: string): Promise<boolean> {
    if (!this.connected) return this.failed(new Error('redis is not connected')) ?? false;
    try {
      await this.client.hset(this.journalKey, field, entry);
      return true;
    } catch (error) {
      return this.failed(error) ?? false;
    }
  }

  /** Every journal entry, or undefined when Redis does not answer. */
  async journalEntries(): Promise<Map<string, string> | undefined> {
    if (!this.connected) return undefined;
    try {
      return new Map(Object.entries(await this.client.hgetall(this.journalKey)));
    } catch (error) {
      return this.failed(error);
    }
  }

  async journalRemove(field: string, entry: string): Promise<void> {
    try {
      await this.client.skyroadDeleteIfUnchanged(this.journalKey, field, entry);
    } catch (error) {
      this.failed(error);
    }
  }

  async close(): Promise<void> {
    await this.drain().catch(() => undefined);
    this.stateValue = 'closed';
    this.client.disconnect();
  }
}
