/*
 * Put and DeleteRange as etcd applies them, on an open write transaction. The check functions
 * run before anything changes, so a refused request changes nothing.
 */
import {
  EngineError,
  ERR_COMPACTED,
  ERR_FUTURE_REV,
  ERR_KEY_NOT_FOUND,
  ERR_LEASE_NOT_FOUND,
} from '../errors';
import { EMPTY, keyInterval } from '../bytes';
import type { WriteTxn } from '../mvcc/kv-store';
import {
  NO_LEASE,
  type DeleteRangeRequest,
  type DeleteRangeResponse,
  type PutRequest,
  type PutResponse,
  type RangeRequest,
} from '../mvcc/types';
import type { KvReader } from './range';

export interface LeaseLookup {
  exists(lease: bigint): boolean;
}

export interface ReadView extends KvReader {
  readonly revision: number;
  readonly compactRevision: number;
}

export function checkPut(view: KvReader, req: PutRequest, leases: LeaseLookup): void {
  if (req.ignoreValue || req.ignoreLease) {
    if (view.range(keyInterval(req.key)).kvs.length === 0) throw new EngineError(ERR_KEY_NOT_FOUND);
  }
  const lease = req.lease ?? NO_LEASE;
  if (lease !== NO_LEASE && !leases.exists(lease)) throw new EngineError(ERR_LEASE_NOT_FOUND);
}

export function checkRange(view: ReadView, req: RangeRequest): void {
  const rev = req.revision ?? 0;
  if (rev === 0) return;
  if (rev > view.revision) throw new EngineError(ERR_FUTURE_REV);
  if (rev < view.compactRevision) throw new EngineError(ERR_COMPACTED);
}

export function executePut(txn: WriteTxn, req: PutRequest): PutResponse {
  let value = req.value ?? EMPTY;
  let lease = req.lease ?? NO_LEASE;
  if (req.ignoreValue || req.ignoreLease) {
    const current = txn.range(keyInterval(req.key)).kvs[0];
    if (!current) throw new EngineError(ERR_KEY_NOT_FOUND);
    if (req.ignoreValue) value = current.value;
    if (req.ignoreLease) lease = current.lease;
  }
  const prev = txn.put(req.key, value, lease, req.prevKv ?? false);
  return { header: { revision: txn.revision }, ...(req.prevKv && prev ? { prevKv: prev } : {}) };
}

export function executeDeleteRange(txn: WriteTxn, req: DeleteRangeRequest): DeleteRangeResponse {
  const { deleted, prevKvs } = txn.deleteRange(keyInterval(req.key, req.rangeEnd), req.prevKv ?? false);
  return { header: { revision: txn.revision }, deleted, prevKvs };
}
