import type { KeyValue, Violation, WatchEvent, WatchRecord } from '../history/types';

/*
 * The store's event log as the watches saw it: the union of every watch stream, one entry
 * per revision. Streams that report the same revision must report the same events. On a
 * fresh cluster whose every write falls inside the watched prefix, revisions are
 * contiguous, so a revision nobody saw is a hole in the log that every watch missed.
 */

export interface EventLog {
  /** Events of each revision, in the order the store reported them. */
  byRevision: Map<number, WatchEvent[]>;
  /** The log holds every revision in [completeFrom, completeTo]; completeTo < completeFrom when empty. */
  completeFrom: number;
  completeTo: number;
  /** The highest revision any watch delivered. */
  lastSeen: number;
  /** Value of each put event -> its revision and key (traffic writes unique values). */
  putsByValue: Map<string, { revision: number; key: string }>;
}

function sameKv(a: KeyValue | undefined, b: KeyValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    a.key === b.key &&
    a.value === b.value &&
    a.modRevision === b.modRevision &&
    a.createRevision === b.createRevision &&
    a.version === b.version &&
    a.lease === b.lease
  );
}

export function describeEvent(e: WatchEvent): string {
  return `${e.type} ${e.kv.key}=${e.kv.value}@${e.kv.modRevision}`;
}

/**
 * Builds the log from every watch; `firstRevision` is the first revision after the cluster
 * started (the witness watch starts there), so the log describes the whole key space.
 * Pushes a violation wherever two streams disagree about a revision.
 */
export function buildEventLog(
  watches: readonly WatchRecord[],
  firstRevision: number,
  violations: Violation[],
): EventLog {
  const byRevision = new Map<number, WatchEvent[]>();
  const seenBy = new Map<number, number>();
  for (const watch of watches) {
    const perRevision = new Map<number, WatchEvent[]>();
    for (const segment of watch.segments)
      for (const response of segment.responses)
        for (const event of response.events) {
          const list = perRevision.get(event.kv.modRevision) ?? [];
          list.push(event);
          perRevision.set(event.kv.modRevision, list);
        }
    for (const [revision, events] of perRevision) {
      const known = byRevision.get(revision);
      if (known === undefined) {
        byRevision.set(revision, events);
        seenBy.set(revision, watch.id);
        continue;
      }
      // A narrower watch sees a subset of a revision's events; each must be in the known set.
      for (const e of events) {
        const match = known.find((k) => k.kv.key === e.kv.key);
        if (match === undefined) {
          // This stream saw an event the first stream did not: keep the union, the
          // reliability validator reports the stream that missed it.
          known.push(e);
        } else if (match.type !== e.type || !sameKv(match.kv, e.kv)) {
          violations.push({
            checker: 'watch-consistent',
            message: `watch ${watch.id} reports ${describeEvent(e)} at revision ${revision}, watch ${seenBy.get(revision)} reports ${describeEvent(match)}`,
          });
        }
      }
    }
  }
  let completeTo = firstRevision - 1;
  while (byRevision.has(completeTo + 1)) completeTo++;
  const putsByValue = new Map<string, { revision: number; key: string }>();
  for (const [revision, events] of byRevision)
    for (const e of events) if (e.type === 'put') putsByValue.set(e.kv.value, { revision, key: e.kv.key });
  return {
    byRevision,
    completeFrom: firstRevision,
    completeTo,
    lastSeen: Math.max(0, ...byRevision.keys()),
    putsByValue,
  };
}

/** The key's value at `revision` according to the log, or undefined when the log cannot tell. */
export function stateAt(log: EventLog, key: string, revision: number): KeyValue | null | undefined {
  if (revision > log.completeTo) return undefined;
  for (let r = revision; r >= log.completeFrom; r--) {
    const e = log.byRevision.get(r)?.find((x) => x.kv.key === key);
    if (e) return e.type === 'put' ? e.kv : null;
  }
  return null;
}
