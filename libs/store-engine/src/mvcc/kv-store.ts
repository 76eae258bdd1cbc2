/*
 * The multi-version key space (etcd's kvstore.go): the in-memory TreeIndex says which
 * revision of a key is visible at a revision; the backend's `key` bucket holds the key's
 * state at that revision. Writes go through a WriteTxn, one main revision per transaction,
 * and must run inside a backend write transaction owned by the caller (the applier), which
 * calls `publishCommitted()` once that transaction has committed so watchers see only
 * committed changes.
 */
import { crc32 } from 'node:zlib';
import type { Backend } from '../backend/backend';
import {
  META_COMPACT_REVISION,
  META_CURRENT_REVISION,
  META_SCHEDULED_COMPACT_REVISION,
  readMetaNumber,
  writeMetaNumber,
} from '../backend/meta';
import { Compactor } from './compactor';
import { EMPTY, keyString, toBuffer, type Bytes, type KeyInterval } from '../bytes';
import { EngineError, ERR_COMPACTED, ERR_FUTURE_REV } from '../errors';
import {
  decodeStoredIndexEntry,
  decodeStoredKeyValue,
  encodeStoredKeyValue,
  encodeStoredTombstone,
  storedKey,
} from './kv-codec';
import { bytesToRevision, revisionToBytes, type Revision } from './revision';
import { TreeIndex } from './tree-index';
import { EventType, NO_LEASE, type Event, type KeyValue } from './types';

/**
 * What the store tells the lessor about keys attached to leases, and asks it (etcd's
 * lease.Lessor Attach, Detach and GetLease). Keys are latin1 strings, as the index holds them.
 */
export interface LeaseAttachments {
  exists(lease: bigint): boolean;
  attach(lease: bigint, key: string): void;
  detach(lease: bigint, key: string): void;
  /** The lease the key is attached to, or NO_LEASE. */
  leaseOf(key: string): bigint;
}

export interface RawRange {
  kvs: KeyValue[];
  /** Keys visible in the interval at the revision, whatever the limit. */
  count: number;
  /** The store's revision when read (the header revision). */
  revision: number;
}

export interface RawRangeOptions {
  /** Main revision to read at; 0: the current one. */
  revision?: number;
  /** Stop collecting kvs after this many (0: no limit); `count` still counts them all. */
  limit?: number;
  countOnly?: boolean;
}

/** A batch of committed events of one revision, handed to watchers. */
export interface CommittedChange {
  revision: number;
  events: Event[];
}

export type CommitListener = (change: CommittedChange) => void;

export interface MvccStoreOptions {
  compactionBatchRevisions?: number;
}

export interface KeySpaceHash {
  hash: number;
  revision: number;
  compactRevision: number;
}

export class MvccStore {
  private readonly index = new TreeIndex();
  private currentRev = 0;
  private compactRev = 0;
  private attachments: LeaseAttachments | undefined;
  private pending: CommittedChange[] = [];
  private readonly listeners: CommitListener[] = [];

  private readonly compactor: Compactor;

  constructor(
    private readonly backend: Backend,
    options: MvccStoreOptions = {},
  ) {
    this.compactor = new Compactor(
      backend,
      (rev, value) => this.stillNeeded(rev, value),
      options.compactionBatchRevisions,
    );
    this.restore();
  }

  get currentRevision(): number {
    return this.currentRev;
  }

  get compactRevision(): number {
    return this.compactRev;
  }

  get keyCount(): number {
    return this.index.size;
  }

  setLeaseAttachments(attachments: LeaseAttachments): void {
    this.attachments = attachments;
    // Keys restored from the backend carry their lease: hand them to the lessor.
    const keys = this.backend.bucket('key');
    this.index.visit(ALL_KEYS, this.currentRev, (name, main, sub) => {
      const raw = keys.getTransient(revisionToBytes({ main, sub }));
      if (!raw) throw new Error(`mvcc: revision ${main}.${sub} is in the index but not in the backend`);
      const { lease } = decodeStoredIndexEntry(raw);
      if (lease !== NO_LEASE && attachments.exists(lease)) attachments.attach(lease, name);
    });
  }

  onCommit(listener: CommitListener): void {
    this.listeners.push(listener);
  }

  /** Reads the interval at a revision; throws the etcd compacted / future revision errors. */
  range(interval: KeyInterval, options: RawRangeOptions = {}): RawRange {
    return this.rangeAt(interval, options, this.currentRev);
  }

  beginWrite(): WriteTxn {
    return new WriteTxn(this, this.currentRev);
  }

  /** Hands the changes of committed write transactions to the listeners (watchers). */
  publishCommitted(): void {
    const changes = this.pending;
    this.pending = [];
    for (const change of changes) for (const listener of this.listeners) listener(change);
  }

  /** Drops changes of a backend transaction that did not commit; the caller must then reopen. */
  discardPending(): void {
    this.pending = [];
  }

  /**
   * Compacts at `rev`: reads below it fail at once, the index forgets the history before it,
   * and the backend deletes the revisions it no longer needs in the background (compactionDone()).
   * Runs in the caller's backend transaction.
   */
  compact(rev: number): void {
    if (rev <= this.compactRev) throw new EngineError(ERR_COMPACTED);
    if (rev > this.currentRev) throw new EngineError(ERR_FUTURE_REV);
    this.index.compact(rev);
    this.compactRev = rev;
    writeMetaNumber(this.backend, META_SCHEDULED_COMPACT_REVISION, rev);
    this.compactor.schedule(rev);
  }

  /** Whether background deletions of a compaction are still under way. */
  get compactionPending(): boolean {
    return this.compactor.pending;
  }

  /** Resolves once the backend has deleted what every compaction so far freed. */
  compactionDone(): Promise<void> {
    return this.compactor.done();
  }

  /** Stops background work (before the backend closes or the store is replaced). */
  stop(): void {
    this.compactor.stop();
  }

  /**
   * A CRC-32 of the key space up to `rev` (0: current), for comparing members (HashKV): every
   * stored revision after the compact revision, and those at or before it that reads still
   * need, so the physical progress of a compaction does not change it.
   */
  hash(rev = 0): KeySpaceHash {
    const at = rev <= 0 ? this.currentRev : rev;
    if (at > this.currentRev) throw new EngineError(ERR_FUTURE_REV);
    if (at < this.compactRev) throw new EngineError(ERR_COMPACTED);
    let hash = 0;
    for (const { key, value } of this.backend
      .bucket('key')
      .range(undefined, revisionToBytes({ main: at + 1, sub: 0 }))) {
      const r = bytesToRevision(key);
      if (r.main <= this.compactRev && !this.stillNeeded(r, value)) continue;
      hash = crc32(value, crc32(key, hash));
    }
    return { hash, revision: at, compactRevision: this.compactRev };
  }

  /** Every change with a main revision in [fromRev, toRev], in order, read from the backend. */
  *eventsBetween(fromRev: number, toRev: number): Generator<Event & { revision: Revision }> {
    const start = revisionToBytes({ main: fromRev, sub: 0 });
    const end = revisionToBytes({ main: toRev + 1, sub: 0 });
    for (const { key, value } of this.backend.bucket('key').range(start, end)) {
      const revision = bytesToRevision(key);
      const { kv, tombstone } = decodeStoredKeyValue(value);
      if (tombstone) yield { type: EventType.DELETE, kv: tombstoneKv(kv.key, revision.main), revision };
      else yield { type: EventType.PUT, kv, revision };
    }
  }

  /** The key's value just before `rev` (a watch event's prev kv), if it existed then. */
  previousKv(key: Bytes, rev: number): KeyValue | undefined {
    if (rev - 1 < this.compactRev) return undefined;
    const at = this.index.get(keyString(key), rev - 1);
    return at ? this.readRevision(at.modified) : undefined;
  }

  // ---- used by WriteTxn ----

  /** @internal */
  rangeAt(interval: KeyInterval, options: RawRangeOptions, headerRev: number): RawRange {
    const requested = options.revision ?? 0;
    if (requested > headerRev) throw new EngineError(ERR_FUTURE_REV);
    const rev = requested <= 0 ? headerRev : requested;
    if (rev < this.compactRev) throw new EngineError(ERR_COMPACTED);
    const limit = options.limit ?? 0;
    const kvs: KeyValue[] = [];
    // Counting walks the index only: no value is read, no KeyValue made.
    if (options.countOnly) return { kvs, count: this.index.count(interval, rev), revision: headerRev };
    this.index.visit(interval, rev, (_key, main, sub) => {
      kvs.push(this.readRevision({ main, sub }));
      return limit <= 0 || kvs.length < limit;
    });
    const count = limit > 0 && kvs.length >= limit ? this.index.count(interval, rev) : kvs.length;
    return { kvs, count, revision: headerRev };
  }

  /** @internal */
  readRevision(rev: Revision): KeyValue {
    const raw = this.backend.bucket('key').getTransient(revisionToBytes(rev));
    if (!raw) throw new Error(`mvcc: revision ${rev.main}.${rev.sub} is in the index but not in the backend`);
    return decodeStoredKeyValue(raw).kv;
  }

  /** @internal */
  get treeIndex(): TreeIndex {
    return this.index;
  }

  /** @internal */
  get leaseAttachments(): LeaseAttachments | undefined {
    return this.attachments;
  }

  /** @internal */
  writeRevision(rev: Revision, kv: KeyValue): void {
    this.backend.bucket('key').putOwned(revisionToBytes(rev), encodeStoredKeyValue(kv, false));
  }

  /** @internal Writes a tombstone; returns the key's bytes (a view of what was stored). */
  writeTombstone(rev: Revision, name: string): Buffer {
    const stored = encodeStoredTombstone(name, rev.main);
    this.backend.bucket('key').putOwned(revisionToBytes(rev), stored);
    return storedKey(stored);
  }

  /** @internal */
  finishWrite(revision: number, events: Event[]): void {
    this.currentRev = revision;
    writeMetaNumber(this.backend, META_CURRENT_REVISION, revision);
    this.pending.push({ revision, events });
  }

  private stillNeeded(rev: Revision, storedValue: Buffer): boolean {
    return this.index.hasRevision(decodeStoredIndexEntry(storedValue).key, rev);
  }

  /**
   * Rebuilds the index from the `key` bucket (revision order replays history exactly), then
   * redoes the last compaction on it and resumes its deletions if a restart interrupted them.
   */
  private restore(): void {
    const finished = readMetaNumber(this.backend, META_COMPACT_REVISION);
    const scheduled = readMetaNumber(this.backend, META_SCHEDULED_COMPACT_REVISION);
    this.compactRev = Math.max(finished, scheduled);
    let last = readMetaNumber(this.backend, META_CURRENT_REVISION);
    for (const { key, value } of this.backend.bucket('key').range()) {
      const rev = bytesToRevision(key);
      const stored = decodeStoredIndexEntry(value);
      const name = stored.key;
      if (stored.tombstone) {
        // A tombstone whose key's history was compacted away has nothing left to end.
        if (this.index.aliveAt(name, rev.main)) this.index.tombstone(name, rev);
      } else {
        this.index.restorePut(name, rev, { main: stored.createRevision, sub: 0 }, stored.version);
      }
      last = Math.max(last, rev.main);
    }
    this.currentRev = Math.max(last, this.compactRev);
    if (this.compactRev > 0) this.index.compact(this.compactRev);
    if (scheduled > finished) this.compactor.schedule(scheduled);
  }
}

const ALL_KEYS: KeyInterval = { kind: 'range', start: '', end: undefined };

function tombstoneKv(key: Buffer, rev: number): KeyValue {
  return { key, value: EMPTY, createRevision: 0, modRevision: rev, version: 0, lease: NO_LEASE };
}

/**
 * One write transaction: every change gets the main revision beginRev + 1 and the next sub
 * revision; reads inside it see its own changes. A transaction without changes leaves the
 * revision as it was.
 */
export class WriteTxn {
  private readonly events: Event[] = [];
  private ended = false;

  constructor(
    private readonly store: MvccStore,
    private readonly beginRev: number,
  ) {}

  get changed(): boolean {
    return this.events.length > 0;
  }

  /** The revision a read in this transaction sees (and the header revision of its responses). */
  get revision(): number {
    return this.changed ? this.beginRev + 1 : this.beginRev;
  }

  range(interval: KeyInterval, options: RawRangeOptions = {}): RawRange {
    return this.store.rangeAt(interval, options, this.revision);
  }

  /**
   * Writes the key. Returns the previous kv when `withPrev` (the client asked for it); otherwise
   * nothing of the replaced revision is read: its creation and version are in the index, its
   * lease with the lessor.
   */
  put(key: Bytes, value: Bytes, lease: bigint, withPrev = false): KeyValue | undefined {
    const name = keyString(key);
    const rev: Revision = { main: this.beginRev + 1, sub: this.events.length };
    const prevAt = this.store.treeIndex.get(name, rev.main);
    const prevKv = prevAt && withPrev ? this.store.readRevision(prevAt.modified) : undefined;
    const kv: KeyValue = {
      key: Buffer.from(toBuffer(key)),
      value: Buffer.from(toBuffer(value)),
      createRevision: prevAt ? prevAt.created.main : rev.main,
      modRevision: rev.main,
      version: prevAt ? prevAt.version + 1 : 1,
      lease,
    };
    this.store.writeRevision(rev, kv);
    this.store.treeIndex.put(name, rev);
    this.events.push({ type: EventType.PUT, kv });
    const attachments = this.store.leaseAttachments;
    if (attachments) {
      const prevLease = prevAt ? attachments.leaseOf(name) : NO_LEASE;
      if (prevLease !== lease) {
        if (prevLease !== NO_LEASE) attachments.detach(prevLease, name);
        if (lease !== NO_LEASE) attachments.attach(lease, name);
      }
    }
    return prevKv;
  }

  /**
   * Deletes the keys visible in the interval; returns how many, and their last kvs when
   * `withPrevKvs`. Without them nothing is read from the backend: a delete of a whole prefix
   * (etcdctl del --prefix, check perf's clean-up of ~100,000 keys) writes tombstones only.
   */
  deleteRange(interval: KeyInterval, withPrevKvs = false): { deleted: number; prevKvs: KeyValue[] } {
    const main = this.beginRev + 1;
    // Collected first: tombstoning while walking would change what the walk sees.
    const victims: string[] = [];
    const victimRevs: Revision[] = [];
    this.store.treeIndex.visit(interval, main, (name, modMain, modSub) => {
      victims.push(name);
      if (withPrevKvs) victimRevs.push({ main: modMain, sub: modSub });
    });
    const attachments = this.store.leaseAttachments;
    const prevKvs: KeyValue[] = [];
    for (let i = 0; i < victims.length; i++) {
      const name = victims[i];
      if (withPrevKvs) prevKvs.push(this.store.readRevision(victimRevs[i]));
      const rev: Revision = { main, sub: this.events.length };
      const key = this.store.writeTombstone(rev, name);
      this.store.treeIndex.tombstone(name, rev);
      this.events.push({ type: EventType.DELETE, kv: tombstoneKv(key, main) });
      const lease = attachments ? attachments.leaseOf(name) : NO_LEASE;
      if (lease !== NO_LEASE) attachments?.detach(lease, name);
    }
    return { deleted: victims.length, prevKvs };
  }

  /** Ends the transaction; returns the revision after it. */
  end(): number {
    if (this.ended) throw new Error('mvcc: write transaction ended twice');
    this.ended = true;
    if (this.changed) this.store.finishWrite(this.beginRev + 1, this.events);
    return this.revision;
  }
}
