import type { Operation, Violation } from '../history/types';
import { stateAt, type EventLog } from '../watch/event-log';

/*
 * The checks that need the global revision counter, which per-key partitions cannot see:
 * - unique: two different requests never get the same write revision;
 * - real time: when A returned before B was called, rev(A) <= rev(B), and < when B wrote;
 *   reads count only when linearizable;
 * - reads at a revision: every successful read (serializable ones and range lists too)
 *   returns exactly the key space the event log holds at the response's header revision.
 */

function writes(op: Operation): boolean {
  const r = op.request;
  const resp = op.response;
  if (r.kind === 'leaseRevoke') return false; // may delete nothing; then no revision is created
  if (r.kind !== 'txn' || resp?.kind !== 'txn') return false;
  return (resp.succeeded ? r.success : r.failure).some((o) => o.type === 'put');
}

function revisionOf(op: Operation): number | undefined {
  return op.outcome === 'ok' && op.response ? op.response.revision : undefined;
}

function linearizable(op: Operation): boolean {
  const r = op.request;
  return !((r.kind === 'txn' || r.kind === 'list') && r.serializable);
}

export function checkRevisions(operations: readonly Operation[], log: EventLog): Violation[] {
  const violations: Violation[] = [];
  const byRevision = new Map<number, Operation>();
  for (const op of operations) {
    const revision = revisionOf(op);
    if (revision === undefined || !writes(op)) continue;
    const other = byRevision.get(revision);
    if (other)
      violations.push({
        checker: 'revision-unique',
        message: `ops ${other.id} and ${op.id} both wrote at revision ${revision}`,
      });
    else byRevision.set(revision, op);
  }

  // A lease revoked (acknowledged) before a put was called cannot be attached by that put.
  const revokedAt = new Map<string, number>();
  for (const op of operations)
    if (op.request.kind === 'leaseRevoke' && op.outcome === 'ok')
      revokedAt.set(op.request.lease, Math.min(revokedAt.get(op.request.lease) ?? Infinity, op.returnMs));
  for (const op of operations) {
    if (op.outcome !== 'ok' || op.request.kind !== 'txn' || op.response?.kind !== 'txn') continue;
    const branch = op.response.succeeded ? op.request.success : op.request.failure;
    for (const o of branch) {
      const revoked = o.type === 'put' && o.lease ? revokedAt.get(o.lease) : undefined;
      if (o.type === 'put' && revoked !== undefined && revoked < op.callMs)
        violations.push({
          checker: 'lease-revoked',
          message: `op ${op.id} put ${o.key} with lease ${o.lease} at ${op.callMs} ms, revoked at ${revoked} ms`,
        });
    }
  }

  // Sweep in call order, keeping the highest revision among operations that already returned.
  const timed = operations.filter((op) => revisionOf(op) !== undefined && linearizable(op));
  const byCall = [...timed].sort((a, b) => a.callMs - b.callMs);
  const byReturn = [...timed].sort((a, b) => a.returnMs - b.returnMs);
  let returned = 0;
  let maxRevision = 0;
  let maxOp: Operation | undefined;
  for (const op of byCall) {
    while (returned < byReturn.length && byReturn[returned].returnMs < op.callMs) {
      const r = byReturn[returned++];
      if (revisionOf(r)! > maxRevision) {
        maxRevision = revisionOf(r)!;
        maxOp = r;
      }
    }
    const revision = revisionOf(op)!;
    const strict = writes(op) && maxOp !== undefined;
    if (revision < maxRevision || (strict && revision === maxRevision))
      violations.push({
        checker: 'revision-real-time',
        message: `op ${op.id} (${op.request.kind}, called at ${op.callMs} ms) got revision ${revision}, but op ${maxOp!.id} had returned revision ${maxRevision} at ${maxOp!.returnMs} ms`,
      });
  }

  for (const op of operations) {
    if (op.outcome !== 'ok' || !op.response) continue;
    const { request, response } = op;
    if (request.kind === 'txn' && response.kind === 'txn') {
      const branch = response.succeeded ? request.success : request.failure;
      const hasWrite = branch.some((o) => o.type !== 'get');
      if (hasWrite) continue; // reads inside a writing txn see the txn's own revision minus one
      branch.forEach((o, i) => {
        const result = response.results[i];
        if (o.type !== 'get' || result?.type !== 'get') return;
        const expected = stateAt(log, o.key, response.revision);
        if (expected === undefined) return;
        const got = result.kv;
        if (
          (expected === null) !== (got === null) ||
          (expected && got && (expected.value !== got.value || expected.modRevision !== got.modRevision))
        )
          violations.push({
            checker: 'read-at-revision',
            message: `op ${op.id}${request.serializable ? ' (serializable)' : ''} read ${o.key}=${got ? `${got.value}@${got.modRevision}` : 'absent'} at revision ${response.revision}, the log holds ${expected ? `${expected.value}@${expected.modRevision}` : 'absent'}`,
          });
      });
    } else if (request.kind === 'list' && response.kind === 'list') {
      const got = new Map(response.kvs.map((kv) => [kv.key, kv]));
      const keys = new Set<string>([...got.keys()]);
      for (const events of log.byRevision.values())
        for (const e of events) if (e.kv.key.startsWith(request.prefix)) keys.add(e.kv.key);
      for (const key of keys) {
        const expected = stateAt(log, key, response.revision);
        if (expected === undefined) break;
        const kv = got.get(key) ?? null;
        if (
          (expected === null) !== (kv === null) ||
          (expected && kv && (expected.value !== kv.value || expected.modRevision !== kv.modRevision))
        )
          violations.push({
            checker: 'read-at-revision',
            message: `op ${op.id} listed ${key}=${kv ? `${kv.value}@${kv.modRevision}` : 'absent'} at revision ${response.revision}, the log holds ${expected ? `${expected.value}@${expected.modRevision}` : 'absent'}`,
          });
      }
    }
  }
  return violations;
}
