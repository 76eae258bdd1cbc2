import type { KeySpaceCache } from '../cache/key-space-cache';
import { GOVERNANCE_PREFIX, NAMESPACES_PREFIX, REGISTRY_PREFIX, parseKey } from '../keys';
import { DEFAULT_TTL_SECONDS } from '../limits';
import type { EtcdRegistryStore } from '../store/etcd-registry-store';
import type { StoredKey } from '../store/registry-store';
import type { FailoverStore, StoreRole } from './failover-store';
import type { MirrorState, StandbyMirror } from './standby-mirror';

/** How often the primary (and, before a failover, the standby) is probed. */
export const FAILOVER_PROBE_INTERVAL_MS = 500;
/** A probe that has not answered after this long counts as no answer. */
export const FAILOVER_PROBE_TIMEOUT_MS = 1_000;
/** The primary must answer this many times the failover delay in a row before the registry returns to it. */
export const FAILBACK_HEALTHY_FACTOR = 2;

/** On the primary: held (with a lease) by the one registry node that copies the standby back. */
export const FAILBACK_LOCK_KEY = '/skyroad/meta/failover/failback-lock';
/** On the primary: when the last copy back finished; a node that failed over before it just returns. */
export const FAILBACK_DONE_KEY = '/skyroad/meta/failover/failback-done';
/** The copier's lease: another node may copy this long after a copier died midway. */
export const FAILBACK_LOCK_TTL_SECONDS = 30;

/** What the registry keeps in its store and copies back to the primary on failback. */
const REGISTRY_DATA_PREFIXES = [REGISTRY_PREFIX, GOVERNANCE_PREFIX, NAMESPACES_PREFIX];

export interface FailoverStats {
  failovers: number;
  failbacks: number;
  /** Keys written to or deleted from the primary when the registry returned to it. */
  copiedBack: number;
  /** Instance keys given a lease on the standby at failover. */
  leasesAdopted: number;
}

export interface FailoverStatus {
  serving: StoreRole;
  primaryReachable: boolean;
  standbyReachable: boolean;
  lastFailoverAt?: string;
  lastFailbackAt?: string;
}

function ttlOf(kv: StoredKey): number {
  try {
    const ttl = (JSON.parse(kv.value) as { ttl?: unknown }).ttl;
    return typeof ttl === 'number' && ttl > 0 ? ttl : DEFAULT_TTL_SECONDS;
  } catch {
    return DEFAULT_TTL_SECONDS;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Decides which cluster the registry uses. The primary is lost after `failoverAfterMs` without
 * an answer (down, or no leader: a linearizable read fails); the registry then switches to the
 * standby if it answers, and gives every mirrored instance a lease there so heartbeats keep it.
 * Once the primary has answered for FAILBACK_HEALTHY_FACTOR x that delay, the registry copies
 * what changed on the standby back (from the standby, or from its cache when the standby is gone
 * too), so a registration made meanwhile is kept and a deregistered one is not resurrected, and
 * returns to the primary. Each registry node decides for itself; copies are idempotent.
 */
export class FailoverSwitch {
  readonly stats: FailoverStats = { failovers: 0, failbacks: 0, copiedBack: 0, leasesAdopted: 0 };
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private primaryAnsweredAt = Date.now();
  private primaryHealthySince: number | undefined;
  private standbyReachable = true;
  private lastFailoverAt: Date | undefined;
  private lastFailbackAt: Date | undefined;
  private cache: KeySpaceCache | undefined;

  constructor(
    private readonly store: FailoverStore,
    private readonly mirror: StandbyMirror,
    private readonly failoverAfterMs: number,
    private readonly onSwitch: (role: StoreRole, detail: Record<string, unknown>) => void = () => undefined,
  ) {}

  /** The cache the failback copies from when the standby is gone too. */
  attachCache(cache: KeySpaceCache): void {
    this.cache = cache;
  }

  start(): void {
    this.mirror.start();
    this.timer ??= setInterval(() => void this.tick(), FAILOVER_PROBE_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.mirror.stop();
  }

  status(): FailoverStatus {
    return {
      serving: this.store.role,
      primaryReachable: Date.now() - this.primaryAnsweredAt < this.failoverAfterMs,
      standbyReachable: this.standbyReachable,
      lastFailoverAt: this.lastFailoverAt?.toISOString(),
      lastFailbackAt: this.lastFailbackAt?.toISOString(),
    };
  }

  mirrorStatus(): { state: MirrorState; checkpoint: number; lagRevisions: number } {
    return { state: this.mirror.state, checkpoint: this.mirror.checkpoint, lagRevisions: this.mirror.lag };
  }

  private async answers(store: EtcdRegistryStore): Promise<boolean> {
    try {
      await withTimeout(store.currentRevision(), FAILOVER_PROBE_TIMEOUT_MS);
      return true;
    } catch {
      return false;
    }
  }

  private async tick(): Promise<void> {
    if (this.ticking || !this.timer) return;
    this.ticking = true;
    try {
      const [primaryOk, standbyOk] = await Promise.all([
        this.answers(this.store.primary),
        this.answers(this.store.standby),
      ]);
      this.standbyReachable = standbyOk;
      const now = Date.now();
      if (primaryOk) {
        this.primaryAnsweredAt = now;
        this.primaryHealthySince ??= now;
      } else this.primaryHealthySince = undefined;

      if (this.store.role === 'primary') {
        if (now - this.primaryAnsweredAt > this.failoverAfterMs && standbyOk) await this.failover();
      } else if (
        this.primaryHealthySince !== undefined &&
        now - this.primaryHealthySince >= this.failoverAfterMs * FAILBACK_HEALTHY_FACTOR
      ) {
        await this.failback(standbyOk);
      }
    } catch {
      // A switch that failed midway is tried again on the next tick.
    } finally {
      this.ticking = false;
    }
  }

  private async failover(): Promise<void> {
    const started = Date.now();
    await this.mirror.stop();
    await this.store.switchTo('standby');
    this.stats.failovers++;
    this.lastFailoverAt = new Date();
    const adopted = await this.adoptLeases();
    this.onSwitch('standby', {
      checkpoint: this.mirror.checkpoint,
      leasesAdopted: adopted,
      ms: Date.now() - started,
    });
  }

  /** Mirrored instance keys have no lease on the standby: give each its own, as on the primary. */
  private async adoptLeases(): Promise<number> {
    const standby = this.store.standby;
    const { kvs } = await standby.getPrefix(REGISTRY_PREFIX);
    let adopted = 0;
    for (const kv of kvs) {
      if (kv.lease !== '0' || parseKey(kv.key).kind !== 'instance') continue;
      const lease = await standby.grantLease(ttlOf(kv));
      // Another registry node may have adopted it first: then this lease is not needed.
      const result = await standby.compareAndPut(kv.key, kv.value, kv.modRevision, lease);
      if (result.succeeded) adopted++;
      else await standby.revokeLease(lease);
    }
    this.stats.leasesAdopted += adopted;
    return adopted;
  }

  private async failback(standbyOk: boolean): Promise<void> {
    const started = Date.now();
    const primary = this.store.primary;
    const failedOverAt = this.lastFailoverAt?.toISOString() ?? '';
    // One node copies back; the others return once it is done.
    const done = await primary.get(FAILBACK_DONE_KEY);
    let copied = 0;
    let copier = false;
    if (!done || done.value < failedOverAt) {
      const lease = await primary.grantLease(FAILBACK_LOCK_TTL_SECONDS);
      if (!(await primary.compareAndPut(FAILBACK_LOCK_KEY, this.mirror.nodeId, 0, lease)).succeeded) {
        await primary.revokeLease(lease);
        return;
      }
      copier = true;
      try {
        await this.store.switchTo('primary', async () => {
          copied = await this.copyBack(standbyOk);
          await primary.put(FAILBACK_DONE_KEY, new Date().toISOString());
        });
      } finally {
        await primary.revokeLease(lease).catch(() => undefined);
      }
    } else await this.store.switchTo('primary');
    this.stats.failbacks++;
    this.stats.copiedBack += copied;
    this.lastFailbackAt = new Date();
    this.mirror.start();
    this.onSwitch('primary', {
      copier,
      copiedBack: copied,
      from: standbyOk ? 'standby' : 'cache',
      ms: Date.now() - started,
    });
  }

  /** Makes the primary's registry data what the standby (or, without it, the cache) holds now. */
  private async copyBack(standbyOk: boolean): Promise<number> {
    const primary = this.store.primary;
    let copied = 0;
    for (const prefix of REGISTRY_DATA_PREFIXES) {
      const cache = this.cache;
      let source: StoredKey[];
      if (standbyOk) source = (await this.store.standby.getPrefix(prefix)).kvs;
      else if (cache) source = cache.groupsUnder(prefix).flatMap((group) => cache.list(group));
      else throw new Error('neither the standby nor a cache to copy back from');
      const current = new Map((await primary.getPrefix(prefix)).kvs.map((kv) => [kv.key, kv]));
      for (const kv of source) {
        const existing = current.get(kv.key);
        current.delete(kv.key);
        if (parseKey(kv.key).kind === 'instance') {
          const alive =
            existing?.value === kv.value &&
            existing.lease !== '0' &&
            (await primary.keepAliveOnce(existing.lease)) !== undefined;
          if (alive) continue;
          const lease = await primary.grantLease(ttlOf(kv));
          await primary.put(kv.key, kv.value, lease);
          if (existing && existing.lease !== '0') await primary.revokeLease(existing.lease);
          copied++;
        } else if (existing?.value !== kv.value) {
          await primary.put(kv.key, kv.value);
          copied++;
        }
      }
      // What the primary still has and the standby does not was deleted (or expired) meanwhile.
      for (const kv of current.values()) {
        await primary.delete(kv.key);
        if (kv.lease !== '0') await primary.revokeLease(kv.lease);
        copied++;
      }
    }
    return copied;
  }
}
