import { checkHistory } from '../src/checker/check';
import { etcdModel, type ModelOp, type PartitionState } from '../src/checker/etcd-model';
import { checkLinearizable, type TimedOp } from '../src/checker/linearizability';
import { kv, requests } from '../src/history/requests';
import type { History, KeyValue, Operation, Request, Response, WatchEvent } from '../src/history/types';

let nextId = 1;
function op(callMs: number, returnMs: number, request: Request, response?: Response): Operation {
  return {
    id: nextId++,
    client: 0,
    callMs,
    returnMs: response ? returnMs : Infinity,
    request,
    outcome: response ? 'ok' : 'unknown',
    ...(response ? { response } : {}),
  };
}
const wrote = (revision: number): Response => ({
  kind: 'txn',
  revision,
  succeeded: true,
  results: [{ type: 'put' }],
});
const read = (revision: number, value: KeyValue | null): Response => ({
  kind: 'txn',
  revision,
  succeeded: true,
  results: [{ type: 'get', kv: value }],
});

function search(ops: Operation[]): string {
  const timed: TimedOp<ModelOp>[] = ops.map((o) => ({
    op: { request: o.request, response: o.response },
    callMs: o.callMs,
    returnMs: o.returnMs,
  }));
  return checkLinearizable(etcdModel, new Map() as PartitionState, timed);
}

describe('linearizability search on the etcd model', () => {
  it('accepts a sequential history and concurrent reads on either side of a write', () => {
    expect(
      search([
        op(0, 10, requests.put('a', '1'), wrote(2)),
        op(20, 30, requests.get('a'), read(2, kv('a', '1', 2))),
        op(40, 60, requests.put('a', '2'), wrote(3)),
        op(41, 45, requests.get('a'), read(2, kv('a', '1', 2))),
        op(46, 50, requests.get('a'), read(3, kv('a', '2', 3, { createRevision: 2, version: 2 }))),
      ]),
    ).toBe('ok');
  });

  it('flags a stale read', () => {
    expect(
      search([
        op(0, 10, requests.put('a', '1'), wrote(2)),
        op(20, 30, requests.put('a', '2'), wrote(3)),
        op(40, 50, requests.get('a'), read(2, kv('a', '1', 2))),
      ]),
    ).toBe('illegal');
  });

  it('flags a lost write (acknowledged, then never seen)', () => {
    expect(
      search([op(0, 10, requests.put('a', '1'), wrote(2)), op(20, 30, requests.get('a'), read(2, null))]),
    ).toBe('illegal');
  });

  it('flags a write seen and then unseen', () => {
    expect(
      search([
        op(0, 100, requests.put('a', '1'), wrote(2)),
        op(10, 20, requests.get('a'), read(2, kv('a', '1', 2))),
        op(30, 40, requests.get('a'), read(2, null)),
      ]),
    ).toBe('illegal');
  });

  it('lets an unknown-outcome write take effect or not, but only once', () => {
    const unknown = op(0, 0, requests.put('a', '1'));
    expect(search([unknown, op(10, 20, requests.get('a'), read(1, null))])).toBe('ok');
    expect(search([unknown, op(10, 20, requests.get('a'), read(2, kv('a', '1', 2)))])).toBe('ok');
    expect(
      search([
        unknown,
        op(10, 20, requests.get('a'), read(2, kv('a', '1', 2))),
        op(30, 40, requests.get('a'), read(2, null)),
      ]),
    ).toBe('illegal');
  });

  it('checks compare-and-set branches and revisions', () => {
    const cas = (expect: string, value: string): Request =>
      requests.txn([{ key: 'a', target: 'value', value: expect }], [{ type: 'put', key: 'a', value }]);
    const ok = (revision: number): Response => ({
      kind: 'txn',
      revision,
      succeeded: true,
      results: [{ type: 'put' }],
    });
    const no = (revision: number): Response => ({ kind: 'txn', revision, succeeded: false, results: [] });
    expect(search([op(0, 10, requests.put('a', '1'), wrote(2)), op(20, 30, cas('1', '2'), ok(3))])).toBe(
      'ok',
    );
    expect(search([op(0, 10, requests.put('a', '1'), wrote(2)), op(20, 30, cas('1', '2'), no(2))])).toBe(
      'illegal',
    );
    // Two CAS from the same value cannot both win.
    expect(
      search([
        op(0, 10, requests.put('a', '1'), wrote(2)),
        op(20, 30, cas('1', '2'), ok(3)),
        op(20, 30, cas('1', '3'), ok(4)),
      ]),
    ).toBe('illegal');
    // A write revision must grow along the key's order.
    expect(
      search([op(0, 10, requests.put('a', '1'), wrote(5)), op(20, 30, requests.put('a', '2'), wrote(4))]),
    ).toBe('illegal');
  });

  it('deletes keys of a revoked lease', () => {
    const leased = op(0, 10, requests.put('a', '1', '7'), wrote(2));
    const revoke = op(20, 30, requests.leaseRevoke('7'), { kind: 'leaseRevoke', revision: 3 });
    expect(search([leased, revoke, op(40, 50, requests.get('a'), read(3, null))])).toBe('ok');
    expect(
      search([leased, revoke, op(40, 50, requests.get('a'), read(3, kv('a', '1', 2, { lease: '7' })))]),
    ).toBe('illegal');
  });
});

describe('checkHistory', () => {
  const event = (key: string, value: string, revision: number, prev?: KeyValue): WatchEvent => ({
    type: 'put',
    kv: kv(key, value, revision),
    ...(prev ? { prevKv: prev } : {}),
  });
  function history(operations: Operation[], events: WatchEvent[][]): History {
    return {
      operations,
      watches: [
        {
          id: 1,
          key: 'k/',
          rangeEnd: 'k0',
          prevKv: false,
          segments: [
            {
              startRevision: 2,
              responses: events.map((e, i) => ({ receivedMs: i, revision: e[0].kv.modRevision, events: e })),
            },
          ],
        },
      ],
    };
  }

  it('passes a clean history and counts its partitions', () => {
    const report = checkHistory(
      history(
        [
          op(0, 10, requests.put('k/a', 'x1'), wrote(2)),
          op(0, 10, requests.put('k/b', 'y1'), wrote(3)),
          op(20, 30, requests.get('k/a'), read(3, kv('k/a', 'x1', 2))),
        ],
        [[event('k/a', 'x1', 2)], [event('k/b', 'y1', 3)]],
      ),
      { firstRevision: 2, lastRevision: 3 },
    );
    expect(report.violations).toEqual([]);
    expect(report.partitions).toBe(2);
  });

  it('patches an unknown write the watch saw, and drops one it never saw', () => {
    const h = history(
      [
        op(0, 0, requests.put('k/a', 'x1')),
        op(0, 0, requests.put('k/a', 'x2')),
        op(50, 60, requests.get('k/a'), read(2, null)),
      ],
      [[event('k/a', 'x1', 2)]],
    );
    // The watch says x1 was written at revision 2 and nothing else; a later read of nothing is a lost write.
    const report = checkHistory(h, { firstRevision: 2, lastRevision: 2 });
    expect(report.violations.map((v) => v.checker)).toContain('read-at-revision');
  });

  it('flags an acknowledged write missing from the watches and a watch that skips a revision', () => {
    const report = checkHistory(
      history(
        [
          op(0, 10, requests.put('k/a', 'x1'), wrote(2)),
          op(20, 30, requests.put('k/a', 'x2'), wrote(3)),
          op(40, 50, requests.put('k/a', 'x3'), wrote(4)),
        ],
        [[event('k/a', 'x1', 2)], [event('k/a', 'x3', 4)]],
      ),
      { firstRevision: 2, lastRevision: 4 },
    );
    const checkers = report.violations.map((v) => v.checker);
    expect(checkers).toContain('watch-history');
    expect(checkers).toContain('watch-reliable');
  });

  it('flags revisions that go backwards in real time across keys', () => {
    const report = checkHistory(
      history(
        [op(0, 10, requests.put('k/a', 'x1'), wrote(3)), op(20, 30, requests.put('k/b', 'y1'), wrote(2))],
        [[event('k/b', 'y1', 2)], [event('k/a', 'x1', 3)]],
      ),
      { firstRevision: 2, lastRevision: 3 },
    );
    expect(report.violations.map((v) => v.checker)).toEqual(['revision-real-time']);
  });
});

describe('lease checks', () => {
  it('flags a put that attaches a lease revoked before it was called', () => {
    const report = checkHistory(
      {
        operations: [
          op(0, 10, requests.leaseRevoke('9'), { kind: 'leaseRevoke', revision: 1 }),
          op(20, 30, requests.put('k/a', 'x1', '9'), wrote(2)),
        ],
        watches: [],
      },
      { firstRevision: 2, lastRevision: 1 },
    );
    expect(report.violations.map((v) => v.checker)).toContain('lease-revoked');
  });
});
