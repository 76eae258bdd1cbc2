/*
 * Txn as etcd applies it: every compare (nested txns' too) is evaluated against the state
 * before the transaction, which fixes the path taken; the requests on that path are checked
 * next; only then are they executed, all in one main revision.
 */
import { compareBytes, intervalContains, keyInterval, toBuffer, type KeyInterval } from '../bytes';
import { EngineError, ERR_DUPLICATE_KEY, ERR_TOO_MANY_TXN_OPS } from '../errors';
import type { WriteTxn } from '../mvcc/kv-store';
import {
  CompareResult,
  CompareTarget,
  NO_LEASE,
  type Compare,
  type KeyValue,
  type RequestOp,
  type ResponseOp,
  type TxnRequest,
  type TxnResponse,
} from '../mvcc/types';
import { executeRange, type KvReader } from './range';
import {
  checkPut,
  checkRange,
  executeDeleteRange,
  executePut,
  type LeaseLookup,
  type ReadView,
} from './write';

/** etcd's --max-txn-ops default: operations in one branch of a txn. */
export const MAX_TXN_OPS = 128;

/** The branch each txn (outer first, then nested ones depth-first) takes. */
type TxnPath = boolean[];

const EMPTY_KV: KeyValue = {
  key: Buffer.alloc(0),
  value: Buffer.alloc(0),
  createRevision: 0,
  modRevision: 0,
  version: 0,
  lease: NO_LEASE,
};

export function evaluateCompare(view: KvReader, c: Compare): boolean {
  const { kvs } = view.range(keyInterval(c.key, c.rangeEnd));
  if (kvs.length === 0) {
    // Comparing the value of a key that does not exist always fails (etcd).
    if (c.target === CompareTarget.VALUE) return false;
    return compareKv(c, EMPTY_KV);
  }
  return kvs.every((kv) => compareKv(c, kv));
}

function compareKv(c: Compare, kv: KeyValue): boolean {
  let result: number;
  switch (c.target) {
    case CompareTarget.VALUE:
      result = compareBytes(kv.value, toBuffer(c.value));
      break;
    case CompareTarget.VERSION:
      result = Math.sign(kv.version - (c.version ?? 0));
      break;
    case CompareTarget.CREATE:
      result = Math.sign(kv.createRevision - (c.createRevision ?? 0));
      break;
    case CompareTarget.MOD:
      result = Math.sign(kv.modRevision - (c.modRevision ?? 0));
      break;
    case CompareTarget.LEASE: {
      const want = c.lease ?? NO_LEASE;
      result = kv.lease === want ? 0 : kv.lease > want ? 1 : -1;
      break;
    }
    default:
      return false;
  }
  switch (c.result) {
    case CompareResult.EQUAL:
      return result === 0;
    case CompareResult.NOT_EQUAL:
      return result !== 0;
    case CompareResult.GREATER:
      return result > 0;
    case CompareResult.LESS:
      return result < 0;
    default:
      return false;
  }
}

function compareToPath(view: KvReader, req: TxnRequest, path: TxnPath = []): TxnPath {
  const succeeded = (req.compare ?? []).every((c) => evaluateCompare(view, c));
  path.push(succeeded);
  for (const op of branch(req, succeeded)) if ('requestTxn' in op) compareToPath(view, op.requestTxn, path);
  return path;
}

function branch(req: TxnRequest, succeeded: boolean): RequestOp[] {
  return (succeeded ? req.success : req.failure) ?? [];
}

function checkRequests(
  view: ReadView,
  req: TxnRequest,
  path: TxnPath,
  at: { i: number },
  leases: LeaseLookup,
): void {
  const succeeded = path[at.i++];
  for (const op of branch(req, succeeded)) {
    if ('requestPut' in op) checkPut(view, op.requestPut, leases);
    else if ('requestRange' in op) checkRange(view, op.requestRange);
    else if ('requestTxn' in op) checkRequests(view, op.requestTxn, path, at, leases);
  }
}

function applyTxn(txn: WriteTxn, req: TxnRequest, path: TxnPath, at: { i: number }): TxnResponse {
  const succeeded = path[at.i++];
  const responses: ResponseOp[] = [];
  for (const op of branch(req, succeeded)) {
    if ('requestRange' in op) responses.push({ responseRange: executeRange(txn, op.requestRange) });
    else if ('requestPut' in op) responses.push({ responsePut: executePut(txn, op.requestPut) });
    else if ('requestDeleteRange' in op) {
      responses.push({ responseDeleteRange: executeDeleteRange(txn, op.requestDeleteRange) });
    } else if ('requestTxn' in op) responses.push({ responseTxn: applyTxn(txn, op.requestTxn, path, at) });
  }
  return { header: { revision: txn.revision }, succeeded, responses };
}

/** Runs a Txn on an open write transaction; throws (changing nothing) when a request is refused. */
export function executeTxn(txn: WriteTxn, view: ReadView, req: TxnRequest, leases: LeaseLookup): TxnResponse {
  const path = compareToPath(view, req);
  checkRequests(view, req, path, { i: 0 }, leases);
  return applyTxn(txn, req, path, { i: 0 });
}

/** Whether a txn (any branch) writes: a read-only txn need not go through a write transaction. */
export function isTxnReadOnly(req: TxnRequest): boolean {
  const ops = [...(req.success ?? []), ...(req.failure ?? [])];
  return ops.every((op) => 'requestRange' in op || ('requestTxn' in op && isTxnReadOnly(op.requestTxn)));
}

/**
 * The checks etcd's gRPC layer makes before proposing a txn: at most MAX_TXN_OPS per branch,
 * and no key written twice in one branch path (a put and a delete of overlapping keys).
 */
export function validateTxn(req: TxnRequest, maxOps = MAX_TXN_OPS): void {
  if (
    (req.compare ?? []).length > maxOps ||
    (req.success ?? []).length > maxOps ||
    (req.failure ?? []).length > maxOps
  ) {
    throw new EngineError(ERR_TOO_MANY_TXN_OPS);
  }
  for (const ops of [req.success ?? [], req.failure ?? []]) checkNoDuplicates(ops);
}

function checkNoDuplicates(ops: RequestOp[]): { puts: Set<string>; deletes: KeyInterval[] } {
  const puts = new Set<string>();
  const deletes: KeyInterval[] = [];
  for (const op of ops) {
    if ('requestPut' in op) {
      const key = toBuffer(op.requestPut.key).toString('latin1');
      if (puts.has(key)) throw new EngineError(ERR_DUPLICATE_KEY);
      puts.add(key);
    } else if ('requestDeleteRange' in op) {
      deletes.push(keyInterval(op.requestDeleteRange.key, op.requestDeleteRange.rangeEnd));
    } else if ('requestTxn' in op) {
      // Only one branch of a nested txn runs; each must be free of duplicates with this level.
      const branchPuts = new Set<string>();
      for (const nested of [op.requestTxn.success ?? [], op.requestTxn.failure ?? []]) {
        const inner = checkNoDuplicates(nested);
        for (const key of inner.puts) {
          if (puts.has(key)) throw new EngineError(ERR_DUPLICATE_KEY);
          branchPuts.add(key);
        }
        deletes.push(...inner.deletes);
      }
      for (const key of branchPuts) puts.add(key);
    }
  }
  for (const key of puts) {
    if (deletes.some((d) => intervalContains(d, key))) throw new EngineError(ERR_DUPLICATE_KEY);
  }
  return { puts, deletes };
}
