import type { Operation, OpResult } from '../history/types';
import type { EventLog } from '../watch/event-log';

/*
 * "Patching" the history with what the watches saw, as etcd's robustness suite does, before
 * the search: a write whose outcome is unknown but whose unique value appears in the event
 * log did take effect, at that revision; one whose value never appears although the log is
 * complete past the end of the run did not take effect and is dropped. Both remove
 * nondeterminism the search would otherwise branch on. Failed operations changed nothing and
 * are dropped too.
 */
export function patchHistory(
  operations: readonly Operation[],
  log: EventLog,
  lastRevision: number,
): Operation[] {
  const patched: Operation[] = [];
  for (const op of operations) {
    if (op.outcome === 'failed') continue;
    if (op.outcome === 'ok' || op.request.kind !== 'txn') {
      patched.push(op);
      continue;
    }
    const request = op.request;
    const successPuts = request.success.filter((o) => o.type === 'put');
    const failurePuts = request.failure.filter((o) => o.type === 'put');
    const seenSuccess = successPuts
      .map((o) => (o.type === 'put' ? log.putsByValue.get(o.value) : undefined))
      .find(Boolean);
    const seenFailure = failurePuts
      .map((o) => (o.type === 'put' ? log.putsByValue.get(o.value) : undefined))
      .find(Boolean);
    const seen = seenSuccess ?? seenFailure;
    const readsSomething = [...request.success, ...request.failure].some((o) => o.type === 'get');
    if (seen !== undefined && !readsSomething) {
      const branch = seenSuccess ? request.success : request.failure;
      const results: OpResult[] = branch.map((o) =>
        o.type === 'put'
          ? { type: 'put' }
          : o.type === 'delete'
            ? { type: 'delete', deleted: deletedAt(log, o.key, seen.revision) }
            : { type: 'get', kv: null },
      );
      patched.push({
        ...op,
        response: { kind: 'txn', revision: seen.revision, succeeded: seenSuccess !== undefined, results },
      });
      continue;
    }
    // Unseen: if every branch that changes anything would have put a unique value, it did not happen.
    const branchesWrite = [request.success, request.failure].filter((b) => b.some((o) => o.type !== 'get'));
    const identifiable = branchesWrite.every((b) => b.some((o) => o.type === 'put'));
    if (seen === undefined && identifiable && log.completeTo >= lastRevision && !readsSomething) continue;
    patched.push(op);
  }
  return patched;
}

function deletedAt(log: EventLog, key: string, revision: number): number {
  return (log.byRevision.get(revision) ?? []).some((e) => e.type === 'delete' && e.kv.key === key) ? 1 : 0;
}
