import type * as grpc from '@grpc/grpc-js';
import { Errors } from './errors';
import { unary } from './call-context';
import type { Caller, StoreApi } from './store-api';
import type {
  CompactionRequest,
  DeleteRangeRequest,
  PutRequest,
  RangeRequest,
  RequestOp,
  TxnRequest,
} from '../wire/types';

/** A put names one key: its permission check has no range end (shared, never written). */
const NO_RANGE_END = Buffer.alloc(0);

/** etcd's --max-txn-ops default: operations per branch of one transaction. */
export const MAX_TXN_OPS = 128;

function checkRange(req: RangeRequest): void {
  if (req.key.length === 0) throw Errors.emptyKey();
}

function checkPut(req: PutRequest): void {
  if (req.key.length === 0) throw Errors.emptyKey();
  if (req.ignore_value && req.value.length > 0) throw Errors.valueProvided();
  if (req.ignore_lease && Number(req.lease) !== 0) throw Errors.leaseProvided();
}

function checkDelete(req: DeleteRangeRequest): void {
  if (req.key.length === 0) throw Errors.emptyKey();
}

/** Keys written by puts in one branch (recursively), to refuse a key written twice as etcd does. */
function checkOps(ops: RequestOp[], seenPuts: Set<string>): void {
  if (ops.length > MAX_TXN_OPS) throw Errors.tooManyOps();
  for (const op of ops) {
    if (op.request_range) checkRange(op.request_range);
    else if (op.request_put) {
      checkPut(op.request_put);
      const key = op.request_put.key.toString('latin1');
      if (seenPuts.has(key)) throw Errors.duplicateKey();
      seenPuts.add(key);
    } else if (op.request_delete_range) checkDelete(op.request_delete_range);
    else if (op.request_txn) checkTxn(op.request_txn);
  }
}

export function checkTxn(req: TxnRequest): void {
  if (req.compare.length > MAX_TXN_OPS) throw Errors.tooManyOps();
  for (const cmp of req.compare) if (cmp.key.length === 0) throw Errors.emptyKey();
  checkOps(req.success, new Set());
  checkOps(req.failure, new Set());
}

/** Every key range a transaction reads or writes must be permitted to the caller. */
export function checkTxnPermissions(api: StoreApi, caller: Caller, req: TxnRequest): void {
  for (const cmp of req.compare) api.checkPermission(caller, false, cmp.key, cmp.range_end);
  const walk = (ops: RequestOp[]) => {
    for (const op of ops) {
      if (op.request_range)
        api.checkPermission(caller, false, op.request_range.key, op.request_range.range_end);
      if (op.request_put) api.checkPermission(caller, true, op.request_put.key, NO_RANGE_END);
      if (op.request_delete_range) {
        api.checkPermission(caller, true, op.request_delete_range.key, op.request_delete_range.range_end);
      }
      if (op.request_txn) checkTxnPermissions(api, caller, op.request_txn);
    }
  };
  walk(req.success);
  walk(req.failure);
}

/** The KV calls, shared by the gRPC service and the JSON gateway. */
export function kvHandlers(api: StoreApi) {
  return {
    Range: async (req: RangeRequest, caller: Caller) => {
      checkRange(req);
      api.checkPermission(caller, false, req.key, req.range_end);
      return api.range(req, caller);
    },
    Put: async (req: PutRequest, caller: Caller) => {
      checkPut(req);
      api.checkPermission(caller, true, req.key, NO_RANGE_END);
      return api.put(req, caller);
    },
    DeleteRange: async (req: DeleteRangeRequest, caller: Caller) => {
      checkDelete(req);
      api.checkPermission(caller, true, req.key, req.range_end);
      return api.deleteRange(req, caller);
    },
    Txn: async (req: TxnRequest, caller: Caller) => {
      checkTxn(req);
      checkTxnPermissions(api, caller, req);
      return api.txn(req, caller);
    },
    Compact: async (req: CompactionRequest, caller: Caller) => ({ header: await api.compact(req, caller) }),
  };
}

export function kvService(api: StoreApi): grpc.UntypedServiceImplementation {
  const h = kvHandlers(api);
  return {
    Range: unary(api, h.Range),
    Put: unary(api, h.Put),
    DeleteRange: unary(api, h.DeleteRange),
    Txn: unary(api, h.Txn),
    Compact: unary(api, h.Compact),
  };
}
