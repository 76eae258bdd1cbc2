/*
 * The store engine assembled: backend, key space, lessor, alarms, applier and watch hub over
 * one data directory. The server holds one StoreEngine and reaches the parts through its
 * getters (a snapshot restore replaces them). WAL and snapshot files are separate
 * (wal/, snapshot/): the server owns the Raft log; this owns the applied state.
 */
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Applier } from './applier/applier';
import { encodeRequest, type InternalRequest } from './applier/request';
import { Backend, type BackendOptions } from './backend/backend';
import { META_CONSISTENT_INDEX, META_CONSISTENT_TERM, writeMetaNumber } from './backend/meta';
import { executeRange } from './kv/range';
import { validateDeleteRange, validatePut, validateRange, validateTxnRequest } from './kv/validate';
import { systemClock, type Clock } from './lease/clock';
import { Lessor } from './lease/lessor';
import { MvccStore } from './mvcc/kv-store';
import type { RangeRequest, RangeResponse } from './mvcc/types';
import { AlarmStore } from './quota/alarms';
import {
  BackendQuota,
  checkRequestSize,
  DEFAULT_QUOTA_BACKEND_BYTES,
  MAX_REQUEST_BYTES,
} from './quota/quota';
import { WatchHub, type WatchHubOptions } from './watch/watch-hub';

export interface StoreEngineOptions {
  /** The member's data directory; the backend lives in `<dataDir>/backend`. */
  dataDir: string;
  clock?: Clock;
  minLeaseTtlSeconds?: number;
  leaseCheckpointIntervalMs?: number;
  quotaBackendBytes?: number;
  maxRequestBytes?: number;
  watch?: WatchHubOptions;
  /** Revisions deleted per backend transaction by background compaction. */
  compactionBatchRevisions?: number;
  backend?: BackendOptions;
}

export class StoreEngine {
  private storeRef!: MvccStore;
  private lessorRef!: Lessor;
  private alarmsRef!: AlarmStore;
  private applierRef!: Applier;
  readonly watchHub: WatchHub;
  readonly quota: BackendQuota;
  readonly clock: Clock;
  readonly maxRequestBytes: number;

  private constructor(
    readonly backend: Backend,
    private readonly options: StoreEngineOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.maxRequestBytes = options.maxRequestBytes ?? MAX_REQUEST_BYTES;
    this.quota = new BackendQuota(backend, options.quotaBackendBytes ?? DEFAULT_QUOTA_BACKEND_BYTES);
    this.assemble();
    this.watchHub = new WatchHub(this.storeRef, options.watch);
  }

  static open(options: StoreEngineOptions): StoreEngine {
    return new StoreEngine(Backend.open(join(options.dataDir, 'backend'), options.backend), options);
  }

  get store(): MvccStore {
    return this.storeRef;
  }

  get lessor(): Lessor {
    return this.lessorRef;
  }

  get alarms(): AlarmStore {
    return this.alarmsRef;
  }

  get applier(): Applier {
    return this.applierRef;
  }

  /** A serializable read of the local state (a linearizable one waits for ReadIndex first). */
  range(req: RangeRequest): RangeResponse {
    validateRange(req);
    return executeRange(this.storeRef, req);
  }

  /**
   * What the server proposes for a client request: validated as etcd's gRPC layer does (key
   * given, ignore flags, txn shape), then against the quota and size limit, and encoded. Throws
   * an EngineError to answer the client with instead; for ERR_NO_SPACE the server also proposes
   * BackendQuota.alarmRequest(memberId).
   */
  prepareProposal(request: InternalRequest): Buffer {
    if (request.kind === 'txn') validateTxnRequest(request.txn);
    else if (request.kind === 'put') validatePut(request.put);
    else if (request.kind === 'range') validateRange(request.range);
    else if (request.kind === 'deleteRange') validateDeleteRange(request.deleteRange);
    this.quota.check(request);
    const data = encodeRequest(request);
    checkRequestSize(data, this.maxRequestBytes);
    return data;
  }

  /** The whole backend as bytes, for a Raft snapshot or Maintenance.Snapshot. */
  async snapshot(): Promise<Buffer> {
    return this.backend.snapshot();
  }

  /** The whole backend as a byte stream (Maintenance.Snapshot), not held in memory. */
  snapshotStream(): Promise<Readable> {
    return this.backend.snapshotStream();
  }

  /**
   * Replaces the applied state with a snapshot's; watchers catch up (or are cancelled if
   * compacted). As with defragment(), apply nothing until it resolves.
   */
  async restoreSnapshot(data: Uint8Array): Promise<void> {
    this.storeRef.stop();
    await this.backend.restore(data);
    this.assemble();
    this.watchHub.rebind(this.storeRef);
  }

  /**
   * Cuts the applied state loose from the Raft log it was applied from, for a backup restored
   * into a new cluster: the new cluster's log starts at index 1 and must all be applied.
   */
  detachFromRaftLog(): void {
    this.storeRef.stop();
    this.backend.write(() => {
      writeMetaNumber(this.backend, META_CONSISTENT_INDEX, 0);
      writeMetaNumber(this.backend, META_CONSISTENT_TERM, 0);
    });
    this.assemble();
    this.watchHub.rebind(this.storeRef);
  }

  /**
   * Resolves when entries may be applied: at once, except while defragment() or
   * restoreSnapshot() replaces the backend file. The apply loop awaits it before applyEntries.
   */
  writable(): Promise<void> {
    return this.backend.writable();
  }

  /** True while defragment() or restoreSnapshot() replaces the backend file (see writable()). */
  get busy(): boolean {
    return this.backend.busy;
  }

  /**
   * Copy-compacts the backend file. Entries cannot be applied meanwhile (the applier throws
   * BackendBusyError, changing nothing): the apply loop awaits writable() first.
   */
  async defragment(): Promise<void> {
    await this.backend.defragment();
  }

  async close(): Promise<void> {
    this.watchHub.close();
    this.storeRef.stop();
    await this.backend.close();
  }

  private assemble(): void {
    const previous = this.applierRef as Applier | undefined;
    this.storeRef = new MvccStore(this.backend, {
      compactionBatchRevisions: this.options.compactionBatchRevisions,
    });
    this.lessorRef = new Lessor(this.backend, {
      clock: this.clock,
      minTtlSeconds: this.options.minLeaseTtlSeconds,
      checkpointIntervalMs: this.options.leaseCheckpointIntervalMs,
    });
    const store = this.storeRef;
    this.lessorRef.setRangeDeleter(() => store.beginWrite());
    store.setLeaseAttachments(this.lessorRef);
    this.alarmsRef = new AlarmStore(this.backend);
    this.applierRef = new Applier(this.backend, store, this.lessorRef, this.alarmsRef);
    // The server registers its handlers (membership, auth) once, on the engine it opened. A
    // restored snapshot replaces the state, not the server: without them a member that caught
    // up from the leader's snapshot would refuse every later membership change and keep a
    // stale member list (and hand it to members joining through it).
    if (previous) this.applierRef.adoptHandlers(previous);
  }
}
