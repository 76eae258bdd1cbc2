import type { Compare, KeyOp, KeyValue, Operation, Request, Response } from '../history/types';
import type { Model } from './linearizability';

/*
 * The etcd KV model for one partition of keys. Revisions are global in etcd, so a partition
 * cannot know the revision counter; instead each key remembers the revision of its last write
 * (or only a lower bound, `floor`, when that write's outcome was unknown) and the model checks
 * per key: values, versions, create/mod revisions, that write revisions increase, and that a
 * read's header revision is not older than the last write it follows. Revision uniqueness and
 * real-time order across keys are checked globally (revisions.ts).
 */

const UNKNOWN = -1;

export interface KeyState {
  value: string | null;
  version: number;
  /** 0 when absent, UNKNOWN when the last write's revision is unknown. */
  mod: number;
  create: number;
  /** The highest known revision of a write to this key, a lower bound of `mod`. */
  floor: number;
  lease: string;
}

export type PartitionState = ReadonlyMap<string, KeyState>;

/** An operation as the model sees it: the request, and the response when it is known. */
export interface ModelOp {
  request: Request;
  response?: Response;
}

const ABSENT: KeyState = { value: null, version: 0, mod: 0, create: 0, floor: 0, lease: '0' };

function get(state: PartitionState, key: string): KeyState {
  return state.get(key) ?? ABSENT;
}

export const etcdModel: Model<PartitionState, ModelOp> = {
  key(state) {
    return [...state.entries()]
      .sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .map(([k, s]) => `${k}=${s.value}/${s.version}/${s.mod}/${s.create}/${s.floor}/${s.lease}`)
      .join(';');
  },
  step(state, op) {
    const { request, response } = op;
    if (response === undefined) {
      // Unknown outcome: it either never happened or happened with results nobody saw.
      return [state, ...applyBlind(state, request)];
    }
    if (request.kind === 'txn' && response.kind === 'txn') {
      const next = applyTxn(state, request, response);
      return next ? [next] : [];
    }
    if (request.kind === 'leaseRevoke' && response.kind === 'leaseRevoke') {
      const next = revoke(state, request.lease, response.revision);
      return next ? [next] : [];
    }
    return [state];
  },
};

/** Successors of a request whose response is unknown (revision unknown too). */
function applyBlind(state: PartitionState, request: Request): PartitionState[] {
  if (request.kind === 'leaseRevoke') return [revoke(state, request.lease, UNKNOWN)!];
  if (request.kind !== 'txn') return [state];
  const outcomes = compareOutcomes(state, request.compares);
  const result: PartitionState[] = [];
  for (const succeeded of outcomes) {
    const next = new Map(state);
    for (const op of succeeded ? request.success : request.failure) writeOp(next, op, UNKNOWN);
    result.push(next);
  }
  return result;
}

/** The branches a txn may take; both when a compared mod revision is unknown. */
function compareOutcomes(state: PartitionState, compares: Compare[]): boolean[] {
  let certain = true;
  let all = true;
  for (const c of compares) {
    const s = get(state, c.key);
    if (c.target === 'value') {
      if (s.value !== c.value) all = false;
    } else if (s.value === null) {
      if (c.modRevision !== 0) all = false;
    } else if (s.mod === UNKNOWN) {
      if (c.modRevision <= s.floor) all = false;
      else certain = false;
    } else if (s.mod !== c.modRevision) all = false;
  }
  if (!all) return [false];
  return certain ? [true] : [true, false];
}

function applyTxn(
  state: PartitionState,
  request: Extract<Request, { kind: 'txn' }>,
  response: Extract<Response, { kind: 'txn' }>,
): PartitionState | undefined {
  const next = new Map(state);
  // The branch taken must agree with the state; an unknown mod revision gets pinned.
  for (const c of request.compares) {
    const s = get(next, c.key);
    let holds: boolean;
    if (c.target === 'value') holds = s.value === c.value;
    else if (s.value === null) holds = c.modRevision === 0;
    else if (s.mod === UNKNOWN) {
      if (c.modRevision <= s.floor) holds = false;
      else if (response.succeeded) {
        next.set(c.key, { ...s, mod: c.modRevision, floor: c.modRevision });
        holds = true;
      } else holds = response.succeeded; // can be true or false; follow the response
    } else holds = s.mod === c.modRevision;
    if (!holds && response.succeeded) return undefined;
  }
  if (
    !response.succeeded &&
    request.compares.length > 0 &&
    compareOutcomes(next, request.compares).every((o) => o)
  )
    return undefined;
  const ops = response.succeeded ? request.success : request.failure;
  if (ops.length !== response.results.length) return undefined;
  const writes = ops.some(
    (o) => o.type === 'put' || (o.type === 'delete' && get(next, o.key).value !== null),
  );
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    const result = response.results[i];
    const s = get(next, op.key);
    // A linearizable read (or write) never answers from before the last write it follows.
    if (response.revision < s.floor) return undefined;
    if (op.type === 'get') {
      if (result.type !== 'get' || !readMatches(next, op.key, result.kv)) return undefined;
      continue;
    }
    if (writes && response.revision <= s.floor) return undefined;
    if (op.type === 'delete') {
      if (result.type !== 'delete' || result.deleted !== (s.value === null ? 0 : 1)) return undefined;
    }
    writeOp(next, op, response.revision);
  }
  return next;
}

/** Compares a read against the state, pinning unknown revisions the read reveals. */
function readMatches(state: Map<string, KeyState>, key: string, kv: KeyValue | null): boolean {
  const s = get(state, key);
  if (kv === null) return s.value === null;
  if (s.value === null || kv.value !== s.value || kv.version !== s.version || kv.lease !== s.lease)
    return false;
  let { mod, create, floor } = s;
  if (mod === UNKNOWN) {
    if (kv.modRevision <= floor) return false;
    mod = kv.modRevision;
    floor = kv.modRevision;
  } else if (mod !== kv.modRevision) return false;
  if (create === UNKNOWN) {
    if (kv.createRevision > mod) return false;
    create = kv.createRevision;
  } else if (create !== kv.createRevision) return false;
  state.set(key, { ...s, mod, create, floor });
  return true;
}

function writeOp(state: Map<string, KeyState>, op: KeyOp, revision: number): void {
  const s = get(state, op.key);
  const floor = revision === UNKNOWN ? s.floor : revision;
  if (op.type === 'put') {
    const created = s.value === null;
    state.set(op.key, {
      value: op.value,
      version: created ? 1 : s.version + 1,
      mod: revision,
      create: created ? revision : s.create,
      floor,
      lease: op.lease ?? '0',
    });
  } else if (op.type === 'delete' && s.value !== null) {
    state.set(op.key, { ...ABSENT, floor });
  }
}

function revoke(state: PartitionState, lease: string, revision: number): PartitionState | undefined {
  const next = new Map(state);
  for (const [key, s] of state) {
    if (s.value !== null && s.lease === lease) {
      if (revision !== UNKNOWN && revision <= s.floor) return undefined;
      next.set(key, { ...ABSENT, floor: revision === UNKNOWN ? s.floor : revision });
    }
  }
  return next;
}

/** Keys an operation touches in the model ([] when it is not checked by the search). */
export function keysOf(op: Operation, leaseKeys: ReadonlyMap<string, Set<string>>): string[] {
  const r = op.request;
  if (r.kind === 'txn') {
    if (r.serializable) return [];
    return [
      ...new Set([
        ...r.compares.map((c) => c.key),
        ...r.success.map((o) => o.key),
        ...r.failure.map((o) => o.key),
      ]),
    ];
  }
  if (r.kind === 'leaseRevoke') return [...(leaseKeys.get(r.lease) ?? [])];
  return [];
}
