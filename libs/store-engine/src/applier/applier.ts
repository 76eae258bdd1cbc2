/*
 * The one entry point for committed Raft entries (etcd's apply.go + consistent index).
 * Each entry is applied in the same backend transaction that records its index as the
 * consistent index, so after a crash the backend is exactly "everything up to the consistent
 * index" and the server replays only later entries; an entry at or below it is skipped, which
 * makes applying twice a no-op. A refused request (an EngineError) is a result like any other:
 * it changes nothing but the consistent index, the same way on every member.
 */
import { BackendBusyError, type Backend, type Bucket } from '../backend/backend';
import {
  META_CONSISTENT_INDEX,
  META_CONSISTENT_TERM,
  readMetaNumber,
  writeMetaNumber,
} from '../backend/meta';
import { EngineError, ERR_BAD_REQUEST, ERR_NO_SPACE, ERR_UNKNOWN_EXTENSION, isEngineError } from '../errors';
import { executeRange } from '../kv/range';
import { executeTxn } from '../kv/txn';
import { validateDeleteRange, validatePut, validateRange, validateTxnRequest } from '../kv/validate';
import { checkPut, executeDeleteRange, executePut, type ReadView } from '../kv/write';
import type { Lessor } from '../lease/lessor';
import type { MvccStore, WriteTxn } from '../mvcc/kv-store';
import type {
  CompactionResponse,
  DeleteRangeResponse,
  PutResponse,
  RangeResponse,
  TxnRequest,
  TxnResponse,
} from '../mvcc/types';
import { AlarmType, type AlarmResponse, type AlarmStore } from '../quota/alarms';
import { decodeRequest, type InternalRequest } from './request';

export interface LeaseGrantResponse {
  header: { revision: number };
  id: bigint;
  ttl: number;
}

export interface LeaseRevokeResponse {
  header: { revision: number };
}

export type ApplyResponse =
  | { kind: 'put'; put: PutResponse }
  | { kind: 'range'; range: RangeResponse }
  | { kind: 'deleteRange'; deleteRange: DeleteRangeResponse }
  | { kind: 'txn'; txn: TxnResponse }
  | { kind: 'compaction'; compaction: CompactionResponse }
  | { kind: 'leaseGrant'; leaseGrant: LeaseGrantResponse }
  | { kind: 'leaseRevoke'; leaseRevoke: LeaseRevokeResponse }
  | { kind: 'leaseCheckpoint' }
  | { kind: 'alarm'; alarm: AlarmResponse }
  | { kind: 'extension'; extension: unknown }
  | { kind: 'confChange'; confChange: unknown }
  | { kind: 'noop' };

export interface ApplyResult {
  index: number;
  /** The request's id, to find the caller waiting for it. */
  requestId?: string;
  response?: ApplyResponse;
  /** Set when the request was refused (it changed nothing). */
  error?: EngineError;
}

/** What an extension handler gets: the entry's place in the log and its own bucket. */
export interface ExtensionContext {
  index: number;
  term: number;
  bucket: Bucket;
}

export type ExtensionHandler = (payload: Buffer, context: ExtensionContext) => unknown;

export interface RaftEntryLike {
  index: number;
  term: number;
  /** raftpb's EntryType: 0 normal, 1 a membership change (handed to the conf change handler). */
  type?: number;
  /** An encoded InternalRequest; empty for the no-op entry a new leader appends. */
  data: Uint8Array;
}

/** raftpb.EntryType.ConfChange, without depending on the Raft library at run time. */
const CONF_CHANGE_ENTRY = 1;

type BatchItem = {
  index: number;
  term: number;
  confChange?: Buffer;
  decode: () => InternalRequest | undefined;
};

/** Thrown when applying failed in a way that may leave memory and disk apart: restart the member. */
export class ApplierFailedError extends Error {
  constructor(index: number, cause: unknown) {
    super(`applier: entry ${index} failed: ${(cause as Error)?.message ?? String(cause)}; restart required`);
    this.name = 'ApplierFailedError';
  }
}

export class Applier {
  private consistentIdx: number;
  private consistentTerm: number;
  private readonly extensions = new Map<string, ExtensionHandler>();
  private confChangeHandler: ExtensionHandler | undefined;
  private failed: ApplierFailedError | undefined;

  constructor(
    private readonly backend: Backend,
    private readonly store: MvccStore,
    private readonly lessor: Lessor,
    private readonly alarms: AlarmStore,
  ) {
    this.consistentIdx = readMetaNumber(backend, META_CONSISTENT_INDEX);
    this.consistentTerm = readMetaNumber(backend, META_CONSISTENT_TERM);
  }

  /** The index of the last entry applied: the server replays the WAL after it. */
  get consistentIndex(): number {
    return this.consistentIdx;
  }

  get term(): number {
    return this.consistentTerm;
  }

  /** Handles `extension` requests named `name`; its return value is the response. */
  registerExtension(name: string, handler: ExtensionHandler): void {
    this.extensions.set(name, handler);
  }

  /**
   * Handles ConfChange entries (their raw bytes), in the same backend transaction as the
   * consistent index; without a handler they are recorded as applied and nothing else.
   */
  onConfChange(handler: ExtensionHandler): void {
    this.confChangeHandler = handler;
  }

  /** Takes over the handlers registered on `other`, the applier this one replaces. */
  adoptHandlers(other: Applier): void {
    for (const [name, handler] of other.extensions) this.extensions.set(name, handler);
    this.confChangeHandler = other.confChangeHandler;
  }

  /** Applies one committed entry; undefined when it was applied before. */
  applyEntry(entry: RaftEntryLike): ApplyResult | undefined {
    return this.applyEntries([entry])[0];
  }

  /**
   * Applies committed entries in order, all in one backend transaction (one commit for a
   * whole Ready batch), then lets watchers see them. Entries already applied are skipped.
   */
  applyEntries(entries: readonly RaftEntryLike[]): (ApplyResult | undefined)[] {
    return this.applyBatch(
      entries.map((e) => ({
        index: e.index,
        term: e.term,
        confChange: e.type === CONF_CHANGE_ENTRY ? Buffer.from(e.data) : undefined,
        decode: () => (e.data.byteLength === 0 ? undefined : decodeRequest(e.data)),
      })),
    );
  }

  /** Applies an already decoded request at a log position (undefined request: a no-op entry). */
  applyRequest(index: number, term: number, request: InternalRequest | undefined): ApplyResult | undefined {
    return this.applyBatch([{ index, term, decode: () => request }])[0];
  }

  private applyBatch(batch: BatchItem[]): (ApplyResult | undefined)[] {
    if (this.failed) throw this.failed;
    // Not a failure: the server applies these entries again once defragment/restore is done.
    if (this.backend.busy) throw new BackendBusyError();
    const results: (ApplyResult | undefined)[] = [];
    let current = 0;
    try {
      this.backend.write(() => {
        for (const item of batch) {
          current = item.index;
          if (item.index <= this.consistentIdx) {
            results.push(undefined);
            continue;
          }
          results.push(this.applyOne(item));
          this.consistentIdx = item.index;
          this.consistentTerm = item.term;
        }
        writeMetaNumber(this.backend, META_CONSISTENT_INDEX, this.consistentIdx);
        writeMetaNumber(this.backend, META_CONSISTENT_TERM, this.consistentTerm);
      });
    } catch (error) {
      this.store.discardPending();
      this.failed = new ApplierFailedError(current, error);
      throw this.failed;
    }
    this.store.publishCommitted();
    return results;
  }

  private applyOne(item: BatchItem): ApplyResult {
    const { index, term } = item;
    if (item.confChange) {
      const context = { index, term, bucket: this.backend.bucket('ext') };
      return {
        index,
        response: { kind: 'confChange', confChange: this.confChangeHandler?.(item.confChange, context) },
      };
    }
    let request: InternalRequest | undefined;
    try {
      request = item.decode();
    } catch {
      // Bytes no member can decode are refused alike everywhere rather than stopping them all.
      return { index, error: new EngineError(ERR_BAD_REQUEST) };
    }
    if (!request) return { index, response: { kind: 'noop' } };
    try {
      return { index, requestId: request.id, response: this.dispatch(index, term, request) };
    } catch (error) {
      // Refusals are decided before anything changes; anything else is fatal (rethrown).
      if (isEngineError(error)) return { index, requestId: request.id, error };
      throw error;
    }
  }

  private dispatch(index: number, term: number, request: InternalRequest): ApplyResponse {
    const noSpace = this.alarms.has(AlarmType.NOSPACE);
    switch (request.kind) {
      case 'range':
        validateRange(request.range);
        return { kind: 'range', range: executeRange(this.store, request.range) };
      case 'put': {
        // The edge checks again: they are pure, so every member refuses the same entries.
        validatePut(request.put);
        if (noSpace) throw new EngineError(ERR_NO_SPACE);
        checkPut(this.store, request.put, this.lessor);
        return { kind: 'put', put: this.write((txn) => executePut(txn, request.put)) };
      }
      case 'deleteRange':
        validateDeleteRange(request.deleteRange);
        return {
          kind: 'deleteRange',
          deleteRange: this.write((txn) => executeDeleteRange(txn, request.deleteRange)),
        };
      case 'txn': {
        validateTxnRequest(request.txn);
        // A write transaction without changes leaves the revision alone, so read-only txns
        // take the same path.
        if (noSpace && txnPuts(request.txn)) throw new EngineError(ERR_NO_SPACE);
        return {
          kind: 'txn',
          txn: this.write((txn) => executeTxn(txn, this.readView(), request.txn, this.lessor)),
        };
      }
      case 'compaction':
        this.store.compact(request.compaction.revision);
        return { kind: 'compaction', compaction: { header: { revision: this.store.currentRevision } } };
      case 'leaseGrant': {
        if (noSpace) throw new EngineError(ERR_NO_SPACE);
        const granted = this.lessor.grant(request.leaseGrant.id, request.leaseGrant.ttl);
        return { kind: 'leaseGrant', leaseGrant: { header: this.header(), ...granted } };
      }
      case 'leaseRevoke':
        this.lessor.revoke(request.leaseRevoke.id);
        return { kind: 'leaseRevoke', leaseRevoke: { header: this.header() } };
      case 'leaseCheckpoint':
        for (const cp of request.leaseCheckpoint.checkpoints) this.lessor.checkpoint(cp.id, cp.remainingTtl);
        return { kind: 'leaseCheckpoint' };
      case 'alarm':
        return { kind: 'alarm', alarm: this.alarms.apply(request.alarm) };
      case 'extension': {
        const handler = this.extensions.get(request.extension.name);
        // Refused, not fatal: an entry no member can apply must not stop every member for good.
        if (!handler) throw new EngineError(`${ERR_UNKNOWN_EXTENSION}: ${request.extension.name}`);
        const payload = Buffer.from(request.extension.payload);
        return {
          kind: 'extension',
          extension: handler(payload, { index, term, bucket: this.backend.bucket('ext') }),
        };
      }
      default:
        throw new EngineError(ERR_BAD_REQUEST);
    }
  }

  private write<T>(fn: (txn: WriteTxn) => T): T {
    const txn = this.store.beginWrite();
    const result = fn(txn);
    txn.end();
    return result;
  }

  private readView(): ReadView {
    const store = this.store;
    return {
      range: (interval, options) => store.range(interval, options),
      get revision() {
        return store.currentRevision;
      },
      get compactRevision() {
        return store.compactRevision;
      },
    };
  }

  private header(): { revision: number } {
    return { revision: this.store.currentRevision };
  }
}

function txnPuts(txn: TxnRequest): boolean {
  const ops = [...(txn.success ?? []), ...(txn.failure ?? [])];
  return ops.some((op) => 'requestPut' in op || ('requestTxn' in op && txnPuts(op.requestTxn)));
}
