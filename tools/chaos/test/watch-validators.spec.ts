import { kv } from '../src/history/requests';
import type { Violation, WatchEvent, WatchRecord, WatchResponse } from '../src/history/types';
import { buildEventLog } from '../src/watch/event-log';
import { validateWatch } from '../src/watch/validators';

const put = (key: string, value: string, revision: number, prev?: [string, number]): WatchEvent => ({
  type: 'put',
  kv: kv(key, value, revision),
  ...(prev ? { prevKv: kv(key, prev[0], prev[1]) } : {}),
});
const response = (...events: WatchEvent[]): WatchResponse => ({
  receivedMs: 0,
  revision: events[events.length - 1].kv.modRevision,
  events,
});

function watch(
  id: number,
  segments: Array<{ start: number; responses: WatchResponse[] }>,
  prevKv = false,
): WatchRecord {
  return {
    id,
    key: 'a',
    rangeEnd: 'b',
    prevKv,
    segments: segments.map((s) => ({ startRevision: s.start, responses: s.responses })),
  };
}

/** The reference stream: revisions 2..5, with revision 4 holding two events. */
const reference = watch(1, [
  {
    start: 2,
    responses: [
      response(put('a1', 'v1', 2)),
      response(put('a1', 'v2', 3, ['v1', 2])),
      response(put('a2', 'w1', 4), put('a3', 'x1', 4)),
      response(put('a1', 'v3', 5, ['v2', 3])),
    ],
  },
]);

function check(w: WatchRecord): string[] {
  const violations: Violation[] = [];
  const log = buildEventLog([reference, w], 2, violations);
  return [...violations, ...validateWatch(w, log)].map((v) => v.checker);
}

describe('watch validators', () => {
  it('accept a correct stream and a correct resumption', () => {
    expect(
      check(
        watch(
          2,
          reference.segments.map((s) => ({ start: s.startRevision, responses: s.responses })),
        ),
      ),
    ).toEqual([]);
    const [r1, r2, r3, r4] = reference.segments[0].responses;
    expect(
      check(
        watch(2, [
          { start: 2, responses: [r1, r2] },
          { start: 4, responses: [r3, r4] },
        ]),
      ),
    ).toEqual([]);
  });

  it('flag a revision delivered out of order', () => {
    const [r1, r2, r3, r4] = reference.segments[0].responses;
    expect(check(watch(2, [{ start: 2, responses: [r1, r3, r2, r4] }]))).toContain('ordered');
  });

  it('flag an event delivered twice', () => {
    const [r1, r2] = reference.segments[0].responses;
    expect(
      check(
        watch(2, [
          { start: 2, responses: [r1, r2] },
          { start: 3, responses: [r2] },
        ]),
      ),
    ).toEqual(expect.arrayContaining(['unique', 'resumable']));
  });

  it('flag a revision split across responses', () => {
    const [r1, r2, , r4] = reference.segments[0].responses;
    expect(check(watch(2, [{ start: 2, responses: [r1, r2, response(put('a2', 'w1', 4)), r4] }]))).toContain(
      'atomic',
    );
  });

  it('flag a gap, and a resumption that skips revisions', () => {
    const [r1, , r3, r4] = reference.segments[0].responses;
    expect(check(watch(2, [{ start: 2, responses: [r1, r3, r4] }]))).toContain('reliable');
    expect(
      check(
        watch(2, [
          { start: 2, responses: [r1] },
          { start: 4, responses: [r3, r4] },
        ]),
      ),
    ).toEqual(expect.arrayContaining(['resumable', 'reliable']));
  });

  it('flag a wrong prev_kv and a stream that disagrees with the others', () => {
    const [r1] = reference.segments[0].responses;
    expect(
      check(watch(2, [{ start: 2, responses: [r1, response(put('a1', 'v2', 3, ['v0', 1]))] }], true)),
    ).toContain('prev-kv');
    expect(check(watch(2, [{ start: 2, responses: [r1, response(put('a1', 'other', 3))] }]))).toContain(
      'watch-consistent',
    );
  });
});
