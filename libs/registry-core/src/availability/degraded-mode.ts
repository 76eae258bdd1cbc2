import type { KeySpaceCache } from '../cache/key-space-cache';
import type { RedisL2Cache } from '../cache/redis-l2-cache';
import { StoreUnavailableError } from '../errors';
import type { HeartbeatTimes } from '../instances/heartbeat-times';
import { REGISTRY_PREFIX } from '../keys';
import type { RegistryStore, StoredKey } from '../store/registry-store';
import { DegradedJournal, type JournalBackend, type JournalEntry } from './journal';

/** How often the store is probed, and degraded-mode work (expiry, journal merge, replay) runs. */
export const STORE_PROBE_INTERVAL_MS = 500;
/** Default of --failover-after-ms: the store is lost after this long without an answer. */
export const DEFAULT_FAILOVER_AFTER_MS = 3_000;
/**
 * Self-preservation (after Eureka): when more than this share of the instances missed their
 * TTL at once, the store's unreachability is the likelier cause, and none is expired.
 */
export const SELF_PRESERVATION_MAX_LAPSED_RATIO = 0.15;
/** Attempts of one compare-and-swap write during replay before it is left for the next round. */
const REPLAY_CAS_ATTEMPTS = 3;

export interface DegradedStatus {
  active: boolean;
  since?: string;
  /** Where writes accepted now are kept until the store is back. */
  journal: JournalBackend | 'none';
  pendingWrites: number;
  expired: number;
  selfPreservation: boolean;
}

export interface DegradedStats {
  entered: number;
  replayedWrites: number;
  acceptedWrites: number;
}

interface InstanceTimes {
  ttl: number;
  lastHeartbeatAt: string;
}

function timesOf(kv: StoredKey): InstanceTimes | undefined {
  try {
    const parsed = JSON.parse(kv.value) as Partial<InstanceTimes>;
    return typeof parsed.ttl === 'number' && typeof parsed.lastHeartbeatAt === 'string'
      ? { ttl: parsed.ttl, lastHeartbeatAt: parsed.lastHeartbeatAt }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Degraded mode: when the store does not answer for `failAfterMs` (or a write finds it gone), the
 * registry keeps serving discovery from its caches, takes registrations, heartbeats and
 * deregistrations into a journal (Redis, else memory), expires instances by their TTL itself
 * (never en masse: self-preservation), and replays the journal to the store once it answers.
 */
export class DegradedMode {
  readonly journal: DegradedJournal;
  readonly stats: DegradedStats = { entered: 0, replayedWrites: 0, acceptedWrites: 0 };
  private activeSince: Date | undefined;
  private lastAnswerAt: number;
  private timer: NodeJS.Timeout | undefined;
  private probing = false;
  private working = false;
  private lapsed = new Set<string>();
  private selfPreserving = false;
  private pendingCount = 0;
  private enteredWaiters: (() => void)[] = [];

  constructor(
    private readonly store: RegistryStore,
    private readonly cache: KeySpaceCache,
    private readonly heartbeats: HeartbeatTimes,
    redis: RedisL2Cache | undefined,
    private readonly failAfterMs: number = DEFAULT_FAILOVER_AFTER_MS,
    private readonly onChange: (active: boolean) => void = () => undefined,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.journal = new DegradedJournal(redis);
    this.lastAnswerAt = Date.now();
  }

  get active(): boolean {
    return this.activeSince !== undefined;
  }

  /** When degraded mode began, or undefined. */
  get since(): Date | undefined {
    return this.activeSince;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), STORE_PROBE_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A store call failed for want of the store: degrade now rather than after the probe's delay. */
  enter(): void {
    if (this.activeSince) return;
    this.activeSince = this.now();
    this.stats.entered++;
    for (const resolve of this.enteredWaiters.splice(0)) resolve();
    this.onChange(true);
  }

  /** Resolves when degraded mode begins (at once when it is on). */
  entered(): { promise: Promise<void>; cancel: () => void } {
    if (this.active) return { promise: Promise.resolve(), cancel: () => undefined };
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.enteredWaiters.push(resolve);
    return {
      promise,
      cancel: () => (this.enteredWaiters = this.enteredWaiters.filter((w) => w !== resolve)),
    };
  }

  status(): DegradedStatus {
    return {
      active: this.active,
      since: this.activeSince?.toISOString(),
      journal: this.journal.backend ?? 'none',
      pendingWrites: this.pendingCount,
      expired: this.lapsed.size,
      selfPreservation: this.selfPreserving,
    };
  }

  /** Whether the registry expired this instance itself (its TTL lapsed in degraded mode). */
  isExpired(key: string): boolean {
    return this.lapsed.has(key);
  }

  async record(entry: JournalEntry): Promise<JournalBackend> {
    const backend = await this.journal.record(entry);
    this.stats.acceptedWrites++;
    this.pendingCount++;
    if (entry.op !== 'deregister') this.lapsed.delete(entry.key);
    return backend;
  }

  private async tick(): Promise<void> {
    if (!this.probing) {
      this.probing = true;
      this.store
        .currentRevision()
        .then(() => (this.lastAnswerAt = Date.now()))
        .catch(() => undefined)
        .finally(() => (this.probing = false));
    }
    if (Date.now() - this.lastAnswerAt > this.failAfterMs) this.enter();
    if (this.working) return;
    this.working = true;
    try {
      const entries = await this.journal.entries();
      this.pendingCount = entries.length;
      if (this.active) {
        this.mergeJournal(entries);
        this.expire();
      }
      // The store answers again: replay what it missed, then serve from it.
      if (Date.now() - this.lastAnswerAt < STORE_PROBE_INTERVAL_MS * 2 && (this.active || entries.length > 0))
        await this.replay();
    } finally {
      this.working = false;
    }
  }

  /** Shows writes other registry nodes took into the shared journal. */
  private mergeJournal(entries: readonly JournalEntry[]): void {
    for (const entry of entries) {
      const current = this.cache.get(entry.key);
      if (entry.op === 'deregister') {
        if (current) this.cache.applyLocal({ type: 'DELETE', key: entry.key });
        continue;
      }
      this.heartbeats.note(entry.key, entry.at);
      if (entry.op === 'register' && entry.value !== undefined && current?.value !== entry.value) {
        const revision = this.cache.revision;
        this.cache.applyLocal({
          type: 'PUT',
          kv: {
            key: entry.key,
            value: entry.value,
            createRevision: revision,
            modRevision: revision,
            lease: '0',
          },
        });
      }
    }
  }

  /** Marks instances whose TTL lapsed since degraded mode began, unless too many lapsed at once. */
  private expire(): void {
    const since = this.activeSince?.toISOString() ?? '';
    const nowMs = this.now().getTime();
    const lapsed = new Set<string>();
    let total = 0;
    for (const group of this.cache.groupsUnder(REGISTRY_PREFIX)) {
      for (const kv of this.cache.list(group)) {
        const times = timesOf(kv);
        if (!times) continue;
        total++;
        let last = this.heartbeats.get(kv.key) ?? times.lastHeartbeatAt;
        if (last < times.lastHeartbeatAt) last = times.lastHeartbeatAt;
        // The store kept the TTL until degraded mode began: count from then at the earliest.
        if (last < since) last = since;
        if (Date.parse(last) + times.ttl * 1_000 < nowMs) lapsed.add(kv.key);
      }
    }
    this.selfPreserving = total > 0 && lapsed.size / total > SELF_PRESERVATION_MAX_LAPSED_RATIO;
    this.lapsed = this.selfPreserving ? new Set() : lapsed;
  }

  private async replay(): Promise<void> {
    try {
      for (;;) {
        const entries = await this.journal.entries();
        if (entries.length === 0) break;
        for (const entry of entries) {
          await this.replayOne(entry);
          await this.journal.remove(entry);
          this.stats.replayedWrites++;
        }
      }
    } catch (error) {
      if (error instanceof StoreUnavailableError) return;
      throw error;
    }
    this.pendingCount = 0;
    if (this.activeSince) {
      this.activeSince = undefined;
      this.lapsed = new Set();
      this.selfPreserving = false;
      // What the cache took locally is replaced by the store's view.
      this.cache.relist();
      this.onChange(false);
    }
  }

  private async replayOne(entry: JournalEntry): Promise<void> {
    for (let attempt = 0; attempt < REPLAY_CAS_ATTEMPTS; attempt++) {
      const current = await this.store.get(entry.key);
      if (entry.op === 'deregister') {
        if (!current) return;
        const result = await this.store.compareAndDelete(entry.key, current.modRevision);
        if (!result.succeeded) continue;
        if (current.lease !== '0') await this.store.revokeLease(current.lease);
        return;
      }
      if (entry.op === 'heartbeat' && current && current.lease !== '0') {
        if ((await this.store.keepAliveOnce(current.lease)) !== undefined) return;
      }
      const value = entry.op === 'register' ? entry.value : (current?.value ?? entry.value);
      if (value === undefined) return;
      const lease = await this.store.grantLease(entry.ttl);
      const result = await this.store.compareAndPut(entry.key, value, current?.modRevision ?? 0, lease);
      if (!result.succeeded) {
        await this.store.revokeLease(lease);
        continue;
      }
      if (current && current.lease !== '0' && current.lease !== lease)
        await this.store.revokeLease(current.lease);
      return;
    }
  }
}
