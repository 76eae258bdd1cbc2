/*
 * The limits checked before a request is proposed (etcd's quota.go and request size check).
 * A write that would take the backend over its quota is refused with ERR_NO_SPACE and the
 * server proposes a NOSPACE alarm (alarmRequest), after which every member's applier refuses
 * writes that grow the backend until an operator compacts, defragments and clears the alarm.
 */
import type { Backend } from '../backend/backend';
import { EngineError, ERR_NO_SPACE, ERR_REQUEST_TOO_LARGE } from '../errors';
import { AlarmAction, AlarmType, type AlarmRequest } from './alarms';
import type { InternalRequest } from '../applier/request';
import type { RequestOp, TxnRequest } from '../mvcc/types';

/** etcd's --max-request-bytes default: 1.5 MiB. */
export const MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;
/** etcd's --quota-backend-bytes default: 2 GiB. */
export const DEFAULT_QUOTA_BACKEND_BYTES = 2 * 1024 * 1024 * 1024;
/** What etcd charges a put beyond its key and value: an index entry and revision bookkeeping. */
const PUT_OVERHEAD_BYTES = 256;
/** What a lease grant costs in the backend (etcd's leaseOverhead). */
const LEASE_GRANT_BYTES = 64;

export function checkRequestSize(encoded: Uint8Array, maxBytes = MAX_REQUEST_BYTES): void {
  if (encoded.byteLength > maxBytes) throw new EngineError(ERR_REQUEST_TOO_LARGE);
}

/** Bytes a request may add to the backend; 0 for requests that cannot grow it. */
export function requestCost(request: InternalRequest): number {
  switch (request.kind) {
    case 'put':
      return putCost(request.put.key, request.put.value);
    case 'txn':
      return txnCost(request.txn);
    case 'leaseGrant':
      return LEASE_GRANT_BYTES;
    default:
      return 0;
  }
}

function putCost(key: Uint8Array, value: Uint8Array | undefined): number {
  return PUT_OVERHEAD_BYTES + key.byteLength + (value?.byteLength ?? 0);
}

function txnCost(txn: TxnRequest): number {
  const branchCost = (ops: RequestOp[] | undefined) =>
    (ops ?? []).reduce((sum, op) => {
      if ('requestPut' in op) return sum + putCost(op.requestPut.key, op.requestPut.value);
      if ('requestTxn' in op) return sum + txnCost(op.requestTxn);
      return sum;
    }, 0);
  return Math.max(branchCost(txn.success), branchCost(txn.failure));
}

export class BackendQuota {
  constructor(
    private readonly backend: Backend,
    readonly quotaBytes = DEFAULT_QUOTA_BACKEND_BYTES,
  ) {}

  /** Throws ERR_NO_SPACE when the request would take the backend over its quota. */
  check(request: InternalRequest): void {
    const cost = requestCost(request);
    if (cost > 0 && this.backend.sizeBytes() + cost > this.quotaBytes) throw new EngineError(ERR_NO_SPACE);
  }

  /** The request the server proposes after check() refused a write. */
  static alarmRequest(memberId: bigint): AlarmRequest {
    return { action: AlarmAction.ACTIVATE, memberId, alarm: AlarmType.NOSPACE };
  }
}
