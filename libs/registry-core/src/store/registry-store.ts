/**
 * What the registry needs from its store, and nothing more. The only implementation today
 * speaks the etcd v3 API (EtcdRegistryStore); the availability layer (standby failover,
 * Redis-backed degraded mode) will be another implementation of this same interface, so
 * nothing above it changes.
 */

/** A key as stored, with the bookkeeping the registry relies on. Lease '0' means none. */
export interface StoredKey {
  key: string;
  value: string;
  createRevision: number;
  modRevision: number;
  lease: string;
}

export interface KeyEvent {
  type: 'PUT' | 'DELETE';
  key: string;
  /** The store revision of the change. */
  revision: number;
  /** The key after a PUT. */
  kv?: StoredKey;
  /** The key before the change, when it existed. */
  prev?: StoredKey;
}

export interface RangeResult {
  /** The store revision the result reflects. */
  revision: number;
  kvs: StoredKey[];
}

export interface WriteResult {
  succeeded: boolean;
  /** The store revision after the operation (the new key's mod revision on success). */
  revision: number;
  /**
   * When a compare failed, the key as the same transaction found it (null: absent), so the
   * caller can retry without reading it first. Undefined when the store did not say.
   */
  current?: StoredKey | null;
}

export interface WatchListener {
  /** Changes in revision order; several may share one revision (one transaction). */
  onEvents(events: KeyEvent[]): void;
  /** The watch cannot continue (for example, its start revision was compacted). */
  onError(error: Error): void;
}

export interface WatchHandle {
  close(): Promise<void>;
}

export interface RegistryStore {
  readonly endpoints: readonly string[];
  /**
   * Changes when the store behind this one is switched (failover, failback): revisions of
   * different epochs come from different clusters and are not comparable. Undefined: never.
   */
  readonly epoch?: number;
  get(key: string): Promise<StoredKey | undefined>;
  getPrefix(prefix: string): Promise<RangeResult>;
  grantLease(ttlSeconds: number): Promise<string>;
  /** Renews a lease once; answers its remaining TTL in seconds, or undefined when it is gone. */
  keepAliveOnce(leaseId: string): Promise<number | undefined>;
  /** Revokes a lease (deleting its keys); a lease that is already gone is not an error. */
  revokeLease(leaseId: string): Promise<void>;
  /**
   * Puts `value` at `key` only if the key's mod revision is `expectedModRevision`
   * (0: only if the key does not exist). `lease` '0' or undefined attaches no lease.
   */
  compareAndPut(
    key: string,
    value: string,
    expectedModRevision: number,
    lease?: string,
  ): Promise<WriteResult>;
  compareAndDelete(key: string, expectedModRevision: number): Promise<WriteResult>;
  /** Streams every change under `prefix` from `fromRevision` (inclusive). */
  watchPrefix(prefix: string, fromRevision: number, listener: WatchListener): Promise<WatchHandle>;
  /** The current store revision; proves the store answers. */
  currentRevision(): Promise<number>;
  close(): Promise<void>;
}

/** Thrown by a store when a lease named in a write no longer exists. */
export class LeaseNotFoundError extends Error {
  constructor(readonly leaseId: string) {
    super(`lease ${leaseId} not found`);
    this.name = 'LeaseNotFoundError';
  }
}

/** Receives the duration of every store call, for metrics. */
export type StoreCallObserver = (operation: string, seconds: number, ok: boolean) => void;
