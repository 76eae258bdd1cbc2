/*
 * The checks etcd's gRPC layer (v3rpc/key.go) makes before a KV request is proposed or served:
 * a key is required, and ignore_value / ignore_lease exclude a value / lease.
 */
import { EngineError, ERR_EMPTY_KEY, ERR_LEASE_PROVIDED, ERR_VALUE_PROVIDED } from '../errors';
import {
  NO_LEASE,
  type DeleteRangeRequest,
  type PutRequest,
  type RangeRequest,
  type RequestOp,
  type TxnRequest,
} from '../mvcc/types';
import { validateTxn } from './txn';

export function validateRange(req: RangeRequest): void {
  if (req.key.length === 0) throw new EngineError(ERR_EMPTY_KEY);
}

export function validatePut(req: PutRequest): void {
  if (req.key.length === 0) throw new EngineError(ERR_EMPTY_KEY);
  if (req.ignoreValue && (req.value?.length ?? 0) !== 0) throw new EngineError(ERR_VALUE_PROVIDED);
  if (req.ignoreLease && (req.lease ?? NO_LEASE) !== NO_LEASE) throw new EngineError(ERR_LEASE_PROVIDED);
}

export function validateDeleteRange(req: DeleteRangeRequest): void {
  if (req.key.length === 0) throw new EngineError(ERR_EMPTY_KEY);
}

/** Every op of every branch (nested txns included), then the txn's shape (size, duplicate keys). */
export function validateTxnRequest(req: TxnRequest): void {
  const visit = (ops: RequestOp[] | undefined) => {
    for (const op of ops ?? []) {
      if ('requestRange' in op) validateRange(op.requestRange);
      else if ('requestPut' in op) validatePut(op.requestPut);
      else if ('requestDeleteRange' in op) validateDeleteRange(op.requestDeleteRange);
      else if ('requestTxn' in op) validateTxnRequest(op.requestTxn);
    }
  };
  visit(req.success);
  visit(req.failure);
  validateTxn(req);
}
