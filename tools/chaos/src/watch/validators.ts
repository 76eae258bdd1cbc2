import { inRange, type Operation, type Violation, type WatchEvent, type WatchRecord } from '../history/types';
import { describeEvent, stateAt, type EventLog } from './event-log';

/*
 * Validators over every recorded watch stream, after etcd's robustness suite:
 * ordered, unique, atomic, reliable, resumable, prev-kv correct, and consistent with the
 * client history (every acknowledged write is in the log at the revision the client got).
 */

export function validateWatch(watch: WatchRecord, log: EventLog): Violation[] {
  const violations: Violation[] = [];
  const fail = (checker: string, message: string): void => {
    violations.push({ checker, message: `watch ${watch.id} (${watch.key}..${watch.rangeEnd}): ${message}` });
  };
  const seen = new Set<string>();
  let lastRevision = 0;
  let firstStart: number | undefined;
  for (let s = 0; s < watch.segments.length; s++) {
    const segment = watch.segments[s];
    firstStart ??= segment.startRevision;
    if (s > 0 && lastRevision > 0 && segment.startRevision !== lastRevision + 1)
      fail('resumable', `segment ${s} resumed from ${segment.startRevision}, expected ${lastRevision + 1}`);
    for (const response of segment.responses) {
      if (response.events.length === 0) continue;
      const first = response.events[0].kv.modRevision;
      if (first <= lastRevision)
        fail('ordered', `response starts at revision ${first} after revision ${lastRevision} was delivered`);
      if (first < segment.startRevision)
        fail('resumable', `segment started at ${segment.startRevision} delivered revision ${first}`);
      let previous = first;
      for (const event of response.events) {
        const r = event.kv.modRevision;
        if (r < previous) fail('ordered', `revision ${r} after ${previous} within one response`);
        previous = r;
        const id = `${r}/${event.kv.key}`;
        if (seen.has(id)) fail('unique', `event ${describeEvent(event)} delivered twice`);
        seen.add(id);
        if (!inRange(event.kv.key, watch.key, watch.rangeEnd))
          fail('filtered', `event outside the range: ${describeEvent(event)}`);
        if (watch.prevKv) checkPrevKv(event, log, fail);
      }
      // Atomic: every event of the response's last revision (in range) is in this response.
      const expected = (log.byRevision.get(previous) ?? []).filter((e) =>
        inRange(e.kv.key, watch.key, watch.rangeEnd),
      );
      const got = response.events.filter((e) => e.kv.modRevision === previous);
      if (got.length < expected.length)
        fail(
          'atomic',
          `revision ${previous} split: ${got.length} of its ${expected.length} events in one response`,
        );
      lastRevision = Math.max(lastRevision, previous);
    }
  }
  // Reliable: nothing in range between the start and the last delivered revision is missing.
  if (firstStart !== undefined && lastRevision > 0) {
    for (let r = Math.max(firstStart, log.completeFrom); r <= lastRevision; r++) {
      for (const e of log.byRevision.get(r) ?? []) {
        if (inRange(e.kv.key, watch.key, watch.rangeEnd) && !seen.has(`${r}/${e.kv.key}`))
          fail('reliable', `missed ${describeEvent(e)}`);
      }
    }
  }
  return violations;
}

function checkPrevKv(
  event: WatchEvent,
  log: EventLog,
  fail: (checker: string, message: string) => void,
): void {
  const before = stateAt(log, event.kv.key, event.kv.modRevision - 1);
  if (before === undefined) return;
  const got = event.prevKv;
  if (before === null) {
    if (got !== undefined)
      fail('prev-kv', `${describeEvent(event)} has prev_kv ${got.value} but the key did not exist`);
    return;
  }
  if (got === undefined || got.value !== before.value || got.modRevision !== before.modRevision)
    fail(
      'prev-kv',
      `${describeEvent(event)} has prev_kv ${got ? `${got.value}@${got.modRevision}` : 'none'}, expected ${before.value}@${before.modRevision}`,
    );
}

/** The log against the client history: acknowledged writes appear at their revision; no write comes from nowhere. */
export function validateLogAgainstHistory(log: EventLog, operations: readonly Operation[]): Violation[] {
  const violations: Violation[] = [];
  const written = new Map<string, Operation>();
  for (const op of operations) {
    if (op.request.kind !== 'txn') continue;
    for (const o of [...op.request.success, ...op.request.failure])
      if (o.type === 'put') written.set(o.value, op);
  }
  for (const op of operations) {
    if (op.outcome !== 'ok' || op.request.kind !== 'txn' || op.response?.kind !== 'txn') continue;
    const branch = op.response.succeeded ? op.request.success : op.request.failure;
    for (const o of branch) {
      if (o.type !== 'put') continue;
      const seen = log.putsByValue.get(o.value);
      const revision = op.response.revision;
      if (seen === undefined) {
        if (revision <= log.lastSeen)
          violations.push({
            checker: 'watch-history',
            message: `acknowledged put ${o.key}=${o.value} at revision ${revision} (op ${op.id}) is not in any watch; revision ${revision} shows ${(log.byRevision.get(revision) ?? []).map(describeEvent).join(', ') || 'nothing'}`,
          });
      } else if (seen.revision !== revision || seen.key !== o.key) {
        violations.push({
          checker: 'watch-history',
          message: `put ${o.key}=${o.value} acknowledged at revision ${revision} (op ${op.id}) but watched at ${seen.key}@${seen.revision}`,
        });
      }
    }
  }
  for (const [value, { revision, key }] of log.putsByValue) {
    if (!written.has(value))
      violations.push({
        checker: 'watch-history',
        message: `watch saw ${key}=${value}@${revision}, which no client wrote`,
      });
  }
  return violations;
}
