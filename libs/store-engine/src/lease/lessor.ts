/*
 * The lessor (etcd's lease/lessor.go). Grant, revoke and checkpoint are applied through Raft
 * on every member (called by the applier inside its backend transaction); renew and expiry
 * are the primary's (leader's) business only. Expiry does not delete anything: it yields the
 * ids to revoke, which the server proposes as LeaseRevoke requests, so every member deletes
 * the keys at the same point of the log. Deleting keys goes through an injected range
 * deleter: the lessor does not know the key space.
 */
import { randomBytes } from 'node:crypto';
import type { Backend } from '../backend/backend';
import { keyBytes, type KeyInterval } from '../bytes';
import {
  EngineError,
  ERR_LEASE_EXIST,
  ERR_LEASE_NOT_FOUND,
  ERR_LEASE_TTL_TOO_LARGE,
  ERR_NOT_PRIMARY,
} from '../errors';
import { NO_LEASE } from '../mvcc/types';
import type { Clock } from './clock';
import { ExpiryQueue } from './expiry-queue';
import { Lease } from './lease';

/** etcd's MaxLeaseTTL: 9,000,000,000 seconds. */
export const MAX_LEASE_TTL_SECONDS = 9_000_000_000;
/** etcd's default minimum TTL: ceil(3 * election timeout 1000 ms / 1000). */
export const DEFAULT_MIN_LEASE_TTL_SECONDS = 3;
/** How long the primary waits before asking again to revoke a lease it already asked about. */
export const EXPIRED_LEASE_RETRY_MS = 3_000;
/** How often the primary checkpoints a lease's remaining TTL through Raft (etcd: 5 minutes). */
export const LEASE_CHECKPOINT_INTERVAL_MS = 5 * 60_000;
/** Most lease ids findExpired() returns at once (etcd revokes at most 1000 per second). */
export const MAX_EXPIRED_LEASES_PER_CALL = 500;
/** Most checkpoints dueCheckpoints() returns at once (etcd's maxLeaseCheckpointBatchSize). */
export const MAX_LEASE_CHECKPOINTS_PER_CALL = 1000;

/** Deletes keys in one write transaction (one revision); given to the lessor by the store. */
export interface RangeDeleter {
  deleteRange(interval: KeyInterval): unknown;
  end(): unknown;
}

export interface LessorOptions {
  clock: Clock;
  minTtlSeconds?: number;
  checkpointIntervalMs?: number;
}

export interface LeaseTimeToLive {
  id: bigint;
  /** Seconds left; on a non-primary the last checkpointed (or granted) TTL. */
  ttl: number;
  grantedTtl: number;
  keys: Buffer[];
}

export interface LeaseCheckpoint {
  id: bigint;
  remainingTtl: number;
}

const LEASE_RECORD_BYTES = 16;

export class Lessor {
  private readonly leaseMap = new Map<bigint, Lease>();
  /**
   * The lease each attached key is on (etcd's itemMap), so a write that replaces or deletes a
   * key learns its lease without reading the key's stored revision.
   */
  private readonly leaseByKey = new Map<string, bigint>();
  /** Leases by expiry, on the primary only. */
  private readonly expiries = new ExpiryQueue();
  private rangeDeleter: (() => RangeDeleter) | undefined;
  private primary = false;
  private lastCheckpointMs = 0;
  readonly minTtlSeconds: number;
  private readonly checkpointIntervalMs: number;
  private readonly clock: Clock;

  constructor(
    private readonly backend: Backend,
    options: LessorOptions,
  ) {
    this.clock = options.clock;
    this.minTtlSeconds = options.minTtlSeconds ?? DEFAULT_MIN_LEASE_TTL_SECONDS;
    this.checkpointIntervalMs = options.checkpointIntervalMs ?? LEASE_CHECKPOINT_INTERVAL_MS;
    this.restore();
  }

  setRangeDeleter(factory: () => RangeDeleter): void {
    this.rangeDeleter = factory;
  }

  get isPrimary(): boolean {
    return this.primary;
  }

  // ---- applied through Raft ----

  grant(id: bigint, ttlSeconds: number): { id: bigint; ttl: number } {
    if (id === NO_LEASE) throw new EngineError(ERR_LEASE_NOT_FOUND);
    if (ttlSeconds > MAX_LEASE_TTL_SECONDS) throw new EngineError(ERR_LEASE_TTL_TOO_LARGE);
    if (this.leaseMap.has(id)) throw new EngineError(ERR_LEASE_EXIST);
    const lease = new Lease(id, Math.max(ttlSeconds, this.minTtlSeconds));
    this.leaseMap.set(id, lease);
    if (this.primary) this.startClock(lease, this.clock.now(), 0);
    this.persist(lease);
    return { id, ttl: lease.ttlSeconds };
  }

  /** Deletes the lease and every key attached to it, in one revision. */
  revoke(id: bigint): void {
    const lease = this.leaseMap.get(id);
    if (!lease) throw new EngineError(ERR_LEASE_NOT_FOUND);
    if (!this.rangeDeleter) throw new Error('lessor: no range deleter set');
    const txn = this.rangeDeleter();
    // Sorted, so every member deletes in the same order (same sub revisions).
    for (const key of [...lease.keys].sort()) txn.deleteRange({ kind: 'single', key });
    this.leaseMap.delete(id);
    this.backend.bucket('lease').delete(leaseKey(id));
    txn.end();
  }

  checkpoint(id: bigint, remainingTtlSeconds: number): void {
    const lease = this.leaseMap.get(id);
    if (!lease) return; // revoked meanwhile: nothing to remember
    lease.remainingTtlSeconds = remainingTtlSeconds;
    this.persist(lease);
  }

  // ---- the primary's ----

  /** Keeps the lease alive; returns its TTL. Only the primary may renew. */
  renew(id: bigint): number {
    if (!this.primary) throw new EngineError(ERR_NOT_PRIMARY);
    const lease = this.leaseMap.get(id);
    const now = this.clock.now();
    if (!lease || lease.expiryMs <= now) throw new EngineError(ERR_LEASE_NOT_FOUND);
    if (lease.remainingTtlSeconds > 0) lease.needsCheckpoint = true;
    lease.remainingTtlSeconds = 0;
    this.startClock(lease, now, 0);
    return lease.ttlSeconds;
  }

  /**
   * This member became the leader. Every lease restarts its remaining (or full) TTL plus
   * `extendMs` (the server passes about an election timeout), so that the time without a
   * leader does not expire leases early.
   */
  promote(extendMs: number): void {
    this.primary = true;
    const now = this.clock.now();
    this.expiries.clear();
    for (const lease of this.leaseMap.values()) this.startClock(lease, now, extendMs);
    this.lastCheckpointMs = now;
  }

  demote(): void {
    this.primary = false;
    for (const lease of this.leaseMap.values()) lease.forever();
    this.expiries.clear();
  }

  /** Ids of expired leases to propose revoking (each asked again after EXPIRED_LEASE_RETRY_MS). */
  findExpired(max = MAX_EXPIRED_LEASES_PER_CALL): bigint[] {
    if (!this.primary) return [];
    const now = this.clock.now();
    const expired: bigint[] = [];
    while (expired.length < max) {
      const top = this.expiries.peek();
      if (!top || top.atMs > now) break;
      this.expiries.pop();
      const lease = this.leaseMap.get(top.id);
      // Revoked, renewed or already asked about since this item was queued: a stale item.
      if (!lease || top.atMs !== this.dueMs(lease)) continue;
      expired.push(lease.id);
      lease.revokeRequestedAtMs = now;
      this.expiries.push({ atMs: this.dueMs(lease), id: lease.id });
    }
    return expired;
  }

  /**
   * Remaining TTLs to propose as a LeaseCheckpoint: every lease once per checkpoint interval,
   * and at once a 0 (cleared) for those renewed since a checkpoint gave them a remaining TTL.
   */
  dueCheckpoints(max = MAX_LEASE_CHECKPOINTS_PER_CALL): LeaseCheckpoint[] {
    if (!this.primary) return [];
    const now = this.clock.now();
    const all = now - this.lastCheckpointMs >= this.checkpointIntervalMs;
    if (all) this.lastCheckpointMs = now;
    const out: LeaseCheckpoint[] = [];
    for (const lease of this.leaseMap.values()) {
      if (out.length >= max) break;
      if (!all && !lease.needsCheckpoint) continue;
      if (lease.expiryMs <= now) continue;
      // A renewal clears the remaining TTL (0: "the full TTL"), as etcd does; clearing rather
      // than checkpointing the full TTL keeps later renewals from proposing again.
      const remainingTtl = all ? Math.ceil(lease.remainingMs(now) / 1000) : 0;
      lease.needsCheckpoint = false;
      out.push({ id: lease.id, remainingTtl });
    }
    return out;
  }

  // ---- reads ----

  timeToLive(id: bigint, withKeys = false): LeaseTimeToLive {
    const lease = this.leaseMap.get(id);
    if (!lease) throw new EngineError(ERR_LEASE_NOT_FOUND);
    return {
      id,
      ttl: Math.floor(lease.remainingMs(this.clock.now()) / 1000),
      grantedTtl: lease.ttlSeconds,
      keys: withKeys ? [...lease.keys].sort().map(keyBytes) : [],
    };
  }

  leases(): bigint[] {
    return [...this.leaseMap.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  exists(id: bigint): boolean {
    return this.leaseMap.has(id);
  }

  /** A fresh id for a grant without one (the server picks it before proposing). */
  generateId(): bigint {
    for (;;) {
      const id = randomBytes(8).readBigInt64BE(0) & 0x7fff_ffff_ffff_ffffn;
      if (id !== NO_LEASE && !this.leaseMap.has(id)) return id;
    }
  }

  // ---- LeaseAttachments, called by the store ----

  attach(id: bigint, key: string): void {
    const lease = this.leaseMap.get(id);
    if (!lease) return;
    lease.keys.add(key);
    this.leaseByKey.set(key, id);
  }

  detach(id: bigint, key: string): void {
    this.leaseMap.get(id)?.keys.delete(key);
    if (this.leaseByKey.get(key) === id) this.leaseByKey.delete(key);
  }

  leaseOf(key: string): bigint {
    return this.leaseByKey.get(key) ?? NO_LEASE;
  }

  /** Starts (or restarts) the lease's clock and queues it by its expiry. */
  private startClock(lease: Lease, nowMs: number, extendMs: number): void {
    lease.refresh(nowMs, extendMs);
    this.expiries.push({ atMs: lease.expiryMs, id: lease.id });
  }

  /** When findExpired() should next report the lease: at expiry, then again after each retry pause. */
  private dueMs(lease: Lease): number {
    return lease.revokeRequestedAtMs === undefined
      ? lease.expiryMs
      : lease.revokeRequestedAtMs + EXPIRED_LEASE_RETRY_MS;
  }

  private persist(lease: Lease): void {
    const record = Buffer.alloc(LEASE_RECORD_BYTES);
    record.writeDoubleBE(lease.ttlSeconds, 0);
    record.writeDoubleBE(lease.remainingTtlSeconds, 8);
    this.backend.bucket('lease').put(leaseKey(lease.id), record);
  }

  private restore(): void {
    for (const { key, value } of this.backend.bucket('lease').range()) {
      const id = key.readBigInt64BE(0);
      this.leaseMap.set(id, new Lease(id, value.readDoubleBE(0), value.readDoubleBE(8)));
    }
  }
}

function leaseKey(id: bigint): Buffer {
  const key = Buffer.alloc(8);
  key.writeBigInt64BE(id, 0);
  return key;
}
