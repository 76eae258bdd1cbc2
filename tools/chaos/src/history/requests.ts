import type { Compare, KeyOp, KeyValue, Request } from './types';

/** Requests as the model sees them: get, put and delete are one-op transactions. */
export const requests = {
  get: (key: string, serializable = false): Request => ({
    kind: 'txn',
    compares: [],
    success: [{ type: 'get', key }],
    failure: [],
    ...(serializable ? { serializable } : {}),
  }),
  put: (key: string, value: string, lease?: string): Request => ({
    kind: 'txn',
    compares: [],
    success: [{ type: 'put', key, value, ...(lease ? { lease } : {}) }],
    failure: [],
  }),
  delete: (key: string): Request => ({
    kind: 'txn',
    compares: [],
    success: [{ type: 'delete', key }],
    failure: [],
  }),
  txn: (compares: Compare[], success: KeyOp[], failure: KeyOp[] = []): Request => ({
    kind: 'txn',
    compares,
    success,
    failure,
  }),
  list: (prefix: string, serializable = false): Request => ({
    kind: 'list',
    prefix,
    ...(serializable ? { serializable } : {}),
  }),
  leaseGrant: (ttlSeconds: number): Request => ({ kind: 'leaseGrant', ttlSeconds }),
  leaseRevoke: (lease: string): Request => ({ kind: 'leaseRevoke', lease }),
};

export function kv(key: string, value: string, modRevision: number, extra: Partial<KeyValue> = {}): KeyValue {
  return { key, value, modRevision, createRevision: modRevision, version: 1, lease: '0', ...extra };
}
