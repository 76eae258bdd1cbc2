import * as engine from '@skyroad/store-engine';
import type * as wire from '../wire/types';

/*
 * Translation between etcd's messages as the gRPC layer holds them (snake_case, int64 as
 * strings, enums by name) and the engine's (camelCase, numbers, bigint lease ids, numeric
 * enums). Nothing else in the server knows both shapes.
 */

const num = (v: wire.Int64 | undefined): number => Number(v ?? 0);
const lease = (v: wire.Int64 | undefined): bigint => BigInt(v ?? 0);
const optBuf = (b: Buffer | undefined): Buffer | undefined => (b && b.length > 0 ? b : undefined);

export function rangeIn(r: wire.RangeRequest): engine.RangeRequest {
  return {
    key: r.key,
    rangeEnd: optBuf(r.range_end),
    limit: num(r.limit),
    revision: num(r.revision),
    sortOrder: engine.SortOrder[r.sort_order ?? 'NONE'],
    sortTarget: engine.SortTarget[r.sort_target ?? 'KEY'],
    serializable: r.serializable,
    keysOnly: r.keys_only,
    countOnly: r.count_only,
    minModRevision: num(r.min_mod_revision),
    maxModRevision: num(r.max_mod_revision),
    minCreateRevision: num(r.min_create_revision),
    maxCreateRevision: num(r.max_create_revision),
  };
}

export function putIn(r: wire.PutRequest): engine.PutRequest {
  return {
    key: r.key,
    value: r.value,
    lease: lease(r.lease),
    prevKv: r.prev_kv,
    ignoreValue: r.ignore_value,
    ignoreLease: r.ignore_lease,
  };
}

export function deleteIn(r: wire.DeleteRangeRequest): engine.DeleteRangeRequest {
  return { key: r.key, rangeEnd: optBuf(r.range_end), prevKv: r.prev_kv };
}

function compareIn(c: wire.Compare): engine.Compare {
  const out: engine.Compare = {
    result: engine.CompareResult[c.result ?? 'EQUAL'],
    target: engine.CompareTarget[c.target ?? 'VERSION'],
    key: c.key,
    rangeEnd: optBuf(c.range_end),
  };
  switch (c.target) {
    case 'VERSION':
      out.version = num(c.version);
      break;
    case 'CREATE':
      out.createRevision = num(c.create_revision);
      break;
    case 'MOD':
      out.modRevision = num(c.mod_revision);
      break;
    case 'VALUE':
      out.value = c.value ?? Buffer.alloc(0);
      break;
    case 'LEASE':
      out.lease = lease(c.lease);
      break;
  }
  return out;
}

function opIn(op: wire.RequestOp): engine.RequestOp {
  if (op.request_range) return { requestRange: rangeIn(op.request_range) };
  if (op.request_put) return { requestPut: putIn(op.request_put) };
  if (op.request_delete_range) return { requestDeleteRange: deleteIn(op.request_delete_range) };
  if (op.request_txn) return { requestTxn: txnIn(op.request_txn) };
  throw new Error('empty request op');
}

export function txnIn(r: wire.TxnRequest): engine.TxnRequest {
  return {
    compare: (r.compare ?? []).map(compareIn),
    success: (r.success ?? []).map(opIn),
    failure: (r.failure ?? []).map(opIn),
  };
}

export function kvOut(kv: engine.KeyValue): wire.KeyValue {
  return {
    key: kv.key,
    create_revision: kv.createRevision,
    mod_revision: kv.modRevision,
    version: kv.version,
    value: kv.value,
    lease: kv.lease.toString(),
  };
}

export function rangeOut(r: engine.RangeResponse): wire.RangeResponse {
  return { kvs: r.kvs.map(kvOut), more: r.more, count: r.count };
}

export function putOut(r: engine.PutResponse): wire.PutResponse {
  return { prev_kv: r.prevKv ? kvOut(r.prevKv) : null };
}

export function deleteOut(r: engine.DeleteRangeResponse): wire.DeleteRangeResponse {
  return { deleted: r.deleted, prev_kvs: r.prevKvs.map(kvOut) };
}

function responseOpOut(op: engine.ResponseOp, header: wire.ResponseHeader): wire.ResponseOp {
  if ('responseRange' in op) return { response_range: { header, ...rangeOut(op.responseRange) } };
  if ('responsePut' in op) return { response_put: { header, ...putOut(op.responsePut) } };
  if ('responseDeleteRange' in op) {
    return { response_delete_range: { header, ...deleteOut(op.responseDeleteRange) } };
  }
  return { response_txn: txnOut(op.responseTxn, header) };
}

export function txnOut(r: engine.TxnResponse, header: wire.ResponseHeader): wire.TxnResponse {
  return { header, succeeded: r.succeeded, responses: r.responses.map((op) => responseOpOut(op, header)) };
}

export function eventOut(e: engine.Event): wire.WatchEvent {
  return {
    type: e.type === engine.EventType.PUT ? 'PUT' : 'DELETE',
    kv: kvOut(e.kv),
    prev_kv: e.prevKv ? kvOut(e.prevKv) : null,
  };
}

export function watchCreateIn(r: wire.WatchCreateRequest): engine.WatchCreateRequest {
  return {
    key: r.key,
    rangeEnd: optBuf(r.range_end),
    startRevision: num(r.start_revision),
    progressNotify: r.progress_notify,
    filters: (r.filters ?? []).map((f) => engine.WatchFilterType[f]),
    prevKv: r.prev_kv,
    watchId: num(r.watch_id),
    fragment: r.fragment,
  };
}

export function watchOut(r: engine.WatchResponse, header: wire.ResponseHeader): wire.WatchResponse {
  return {
    header,
    watch_id: r.watchId,
    created: r.created ?? false,
    canceled: r.canceled ?? false,
    compact_revision: r.compactRevision ?? 0,
    cancel_reason: r.cancelReason ?? '',
    fragment: r.fragment ?? false,
    events: r.events.map(eventOut),
  };
}

export const ALARM_NAMES = ['NONE', 'NOSPACE', 'CORRUPT'] as const;
export type AlarmName = (typeof ALARM_NAMES)[number];

export function alarmIn(name: AlarmName): engine.AlarmType {
  return engine.AlarmType[name];
}

export function alarmOut(a: engine.AlarmMember): { memberID: string; alarm: AlarmName } {
  return { memberID: a.memberId.toString(), alarm: ALARM_NAMES[a.alarm] };
}
