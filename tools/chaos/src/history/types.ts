/*
 * The recorded history: every client operation with its call and return time (ms since the
 * scenario started) and its outcome, and every watch stream with every response it received.
 * Checkers read only these shapes, so a history can be built by hand in a test.
 */

export interface KeyValue {
  key: string;
  value: string;
  modRevision: number;
  createRevision: number;
  version: number;
  /** Lease id in decimal, '0' when none. */
  lease: string;
}

export type KeyOp =
  | { type: 'get'; key: string }
  | { type: 'put'; key: string; value: string; lease?: string }
  | { type: 'delete'; key: string };

/** etcd's Compare, restricted to what the traffic uses: value equality or mod revision equality (0 = absent). */
export type Compare =
  { key: string; target: 'value'; value: string } | { key: string; target: 'mod'; modRevision: number };

export type Request =
  /** get, put, delete, compare-and-set and multi-op transactions are all transactions to the model. */
  | { kind: 'txn'; compares: Compare[]; success: KeyOp[]; failure: KeyOp[]; serializable?: boolean }
  | { kind: 'list'; prefix: string; serializable?: boolean }
  | { kind: 'leaseGrant'; ttlSeconds: number }
  | { kind: 'leaseRevoke'; lease: string };

export type OpResult =
  { type: 'get'; kv: KeyValue | null } | { type: 'put' } | { type: 'delete'; deleted: number };

export type Response =
  | { kind: 'txn'; revision: number; succeeded: boolean; results: OpResult[] }
  | { kind: 'list'; revision: number; kvs: KeyValue[] }
  | { kind: 'leaseGrant'; revision: number; lease: string }
  | { kind: 'leaseRevoke'; revision: number };

/**
 * ok: the response is known. failed: the store said the request was refused and changed
 * nothing (e.g. NOSPACE, lease not found). unknown: timeout or lost connection; the request
 * may or may not have taken effect, and its return time is infinity.
 */
export type Outcome = 'ok' | 'failed' | 'unknown';

export interface Operation {
  id: number;
  client: number;
  callMs: number;
  returnMs: number;
  request: Request;
  outcome: Outcome;
  response?: Response;
  error?: string;
}

export interface WatchEvent {
  type: 'put' | 'delete';
  kv: KeyValue;
  prevKv?: KeyValue;
}

export interface WatchResponse {
  receivedMs: number;
  /** Header revision. */
  revision: number;
  events: WatchEvent[];
  compactRevision?: number;
  canceled?: boolean;
}

/** One gRPC watch (one created watcher); a logical watch resumed after a failure has several. */
export interface WatchSegment {
  startRevision: number;
  responses: WatchResponse[];
}

export interface WatchRecord {
  id: number;
  key: string;
  /** '' for a single key; etcd's range end otherwise (prefix end for prefix watches). */
  rangeEnd: string;
  prevKv: boolean;
  segments: WatchSegment[];
}

export interface History {
  operations: Operation[];
  watches: WatchRecord[];
}

export interface Violation {
  checker: string;
  message: string;
}

/** etcd's prefix range end: the prefix with its last byte incremented. */
export function prefixEnd(prefix: string): string {
  const bytes = Buffer.from(prefix);
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i] < 0xff) {
      bytes[i]++;
      return bytes.subarray(0, i + 1).toString('latin1');
    }
  }
  return '\0';
}

export function inRange(key: string, start: string, rangeEnd: string): boolean {
  if (rangeEnd === '') return key === start;
  if (rangeEnd === '\0') return key >= start;
  return key >= start && key < rangeEnd;
}
