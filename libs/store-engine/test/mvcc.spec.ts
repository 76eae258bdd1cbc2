import {
  CompareResult,
  CompareTarget,
  ERR_COMPACTED,
  ERR_DUPLICATE_KEY,
  ERR_FUTURE_REV,
  ERR_KEY_NOT_FOUND,
  ERR_LEASE_NOT_FOUND,
  EventType,
  SortOrder,
  SortTarget,
  prefixRangeEnd,
  type RangeRequest,
} from '../src';
import { b, str, TestEngine } from './support/engine';

describe('MVCC key space', () => {
  let t: TestEngine;
  beforeEach(() => {
    t = TestEngine.create();
  });
  afterEach(async () => {
    await t.destroy();
  });

  const put = (key: string, value: string, extra: object = {}) =>
    t.ok({ kind: 'put', put: { key: b(key), value: b(value), ...extra } });
  const range = (req: Partial<RangeRequest> & { key: Uint8Array }) => t.engine.range(req);

  it('gives each write a new main revision and tracks create/mod revision and version per generation', () => {
    put('a', '1'); // rev 1
    put('a', '2'); // rev 2
    t.ok({ kind: 'deleteRange', deleteRange: { key: b('a') } }); // rev 3
    put('a', '3'); // rev 4
    const [kv] = range({ key: b('a') }).kvs;
    expect({ c: kv.createRevision, m: kv.modRevision, v: kv.version, value: str(kv.value) }).toEqual({
      c: 4,
      m: 4,
      v: 1,
      value: '3',
    });
    const old = range({ key: b('a'), revision: 2 }).kvs[0];
    expect({ c: old.createRevision, m: old.modRevision, v: old.version, value: str(old.value) }).toEqual({
      c: 1,
      m: 2,
      v: 2,
      value: '2',
    });
    expect(range({ key: b('a'), revision: 3 }).kvs).toEqual([]);
    expect(range({ key: b('a') }).header.revision).toBe(4);
  });

  it('does not bump the revision for a delete that deletes nothing', () => {
    put('a', '1');
    const res = t.ok({ kind: 'deleteRange', deleteRange: { key: b('zz') } });
    expect(res).toEqual({
      kind: 'deleteRange',
      deleteRange: { header: { revision: 1 }, deleted: 0, prevKvs: [] },
    });
  });

  it('refuses reads at compacted and future revisions with etcd messages', () => {
    put('a', '1');
    put('a', '2');
    put('a', '3');
    t.ok({ kind: 'compaction', compaction: { revision: 2 } });
    expect(() => range({ key: b('a'), revision: 1 })).toThrow(ERR_COMPACTED);
    expect(() => range({ key: b('a'), revision: 4 })).toThrow(ERR_FUTURE_REV);
    expect(str(range({ key: b('a'), revision: 2 }).kvs[0].value)).toBe('2');
    expect(t.apply({ kind: 'compaction', compaction: { revision: 2 } }).error?.message).toBe(ERR_COMPACTED);
    expect(t.apply({ kind: 'compaction', compaction: { revision: 9 } }).error?.message).toBe(ERR_FUTURE_REV);
  });

  it('serves prefix, from-key and [key, end) ranges with limit, count, keys-only and count-only', () => {
    for (const k of ['a', 'b/1', 'b/2', 'b/3', 'c']) put(k, `v-${k}`);
    const keys = (req: Partial<RangeRequest> & { key: Uint8Array }) =>
      range(req).kvs.map((kv) => str(kv.key));
    expect(keys({ key: b('b/'), rangeEnd: prefixRangeEnd(b('b/')) })).toEqual(['b/1', 'b/2', 'b/3']);
    expect(keys({ key: b('b/2'), rangeEnd: Buffer.from([0]) })).toEqual(['b/2', 'b/3', 'c']);
    expect(keys({ key: Buffer.from([0]), rangeEnd: Buffer.from([0]) })).toHaveLength(5);
    expect(keys({ key: b('b'), rangeEnd: b('c') })).toEqual(['b/1', 'b/2', 'b/3']);
    expect(keys({ key: b('c'), rangeEnd: b('a') })).toEqual([]);
    const limited = range({ key: b('a'), rangeEnd: Buffer.from([0]), limit: 2 });
    expect([limited.kvs.length, limited.more, limited.count]).toEqual([2, true, 5]);
    const exact = range({ key: b('a'), rangeEnd: Buffer.from([0]), limit: 5 });
    expect([exact.kvs.length, exact.more]).toEqual([5, false]);
    const countOnly = range({ key: b('b/'), rangeEnd: prefixRangeEnd(b('b/')), countOnly: true });
    expect([countOnly.kvs.length, countOnly.count]).toEqual([0, 3]);
    const keysOnly = range({ key: b('a'), keysOnly: true });
    expect([str(keysOnly.kvs[0].key), keysOnly.kvs[0].value.length]).toEqual(['a', 0]);
  });

  it('sorts by every target in both orders and applies revision filters', () => {
    put('x', 'c'); // 1
    put('y', 'a'); // 2
    put('z', 'b'); // 3
    put('x', 'd'); // 4: x version 2, mod 4
    const all = { key: b('x'), rangeEnd: b('{') };
    const keys = (req: Partial<RangeRequest>) => range({ ...all, ...req }).kvs.map((kv) => str(kv.key));
    expect(keys({ sortTarget: SortTarget.VALUE, sortOrder: SortOrder.ASCEND })).toEqual(['y', 'z', 'x']);
    expect(keys({ sortTarget: SortTarget.VALUE, sortOrder: SortOrder.DESCEND })).toEqual(['x', 'z', 'y']);
    expect(keys({ sortTarget: SortTarget.MOD, sortOrder: SortOrder.DESCEND })).toEqual(['x', 'z', 'y']);
    expect(keys({ sortTarget: SortTarget.CREATE, sortOrder: SortOrder.DESCEND })).toEqual(['z', 'y', 'x']);
    expect(keys({ sortTarget: SortTarget.VERSION, sortOrder: SortOrder.DESCEND })[0]).toBe('x');
    expect(keys({ sortTarget: SortTarget.KEY, sortOrder: SortOrder.DESCEND })).toEqual(['z', 'y', 'x']);
    // A target other than key with order NONE sorts ascending (etcd).
    expect(keys({ sortTarget: SortTarget.MOD })).toEqual(['y', 'z', 'x']);
    expect(keys({ sortTarget: SortTarget.MOD, sortOrder: SortOrder.DESCEND, limit: 1 })).toEqual(['x']);
    expect(keys({ minModRevision: 3 })).toEqual(['x', 'z']);
    expect(keys({ maxModRevision: 3 })).toEqual(['y', 'z']);
    expect(keys({ minCreateRevision: 2, maxCreateRevision: 2 })).toEqual(['y']);
  });

  it('is binary safe', () => {
    const key = Buffer.from([0, 255, 1, 128]);
    const value = Buffer.from([0, 0, 254]);
    t.ok({ kind: 'put', put: { key, value } });
    t.ok({ kind: 'put', put: { key: Buffer.from([0, 255, 2]), value } });
    const res = range({ key: Buffer.from([0, 255]), rangeEnd: prefixRangeEnd(Buffer.from([0, 255])) });
    expect(res.kvs.map((kv) => kv.key.toString('hex'))).toEqual(['00ff0180', '00ff02']);
    expect(res.kvs[0].value.equals(value)).toBe(true);
  });

  it('answers put with prev kv, ignore value and ignore lease', () => {
    put('a', '1');
    const res = t.ok({ kind: 'put', put: { key: b('a'), value: b('2'), prevKv: true } });
    expect(res.kind === 'put' && str(res.put.prevKv?.value)).toBe('1');
    t.ok({ kind: 'put', put: { key: b('a'), ignoreValue: true } });
    expect(str(range({ key: b('a') }).kvs[0].value)).toBe('2');
    expect(range({ key: b('a') }).kvs[0].version).toBe(3);
    expect(t.apply({ kind: 'put', put: { key: b('nope'), ignoreValue: true } }).error?.message).toBe(
      ERR_KEY_NOT_FOUND,
    );
    expect(t.apply({ kind: 'put', put: { key: b('a'), value: b('x'), lease: 42n } }).error?.message).toBe(
      ERR_LEASE_NOT_FOUND,
    );
    expect(range({ key: b('a') }).header.revision).toBe(3);
  });

  it('applies a txn atomically in one revision, nested txns included, compares evaluated before it', () => {
    put('a', '1'); // 1
    const res = t.ok({
      kind: 'txn',
      txn: {
        compare: [{ key: b('a'), target: CompareTarget.VALUE, result: CompareResult.EQUAL, value: b('1') }],
        success: [
          { requestPut: { key: b('b'), value: b('2') } },
          { requestRange: { key: b('b') } },
          {
            requestTxn: {
              // Sees the state before the outer txn: b does not exist yet, so version 0.
              compare: [
                { key: b('b'), target: CompareTarget.VERSION, result: CompareResult.EQUAL, version: 0 },
              ],
              success: [{ requestDeleteRange: { key: b('a'), prevKv: true } }],
            },
          },
        ],
        failure: [{ requestPut: { key: b('never'), value: b('x') } }],
      },
    });
    if (res.kind !== 'txn') throw new Error('not a txn');
    expect(res.txn.succeeded).toBe(true);
    expect(res.txn.header.revision).toBe(2);
    const inner = res.txn.responses;
    expect('responseRange' in inner[1] && str(inner[1].responseRange.kvs[0].value)).toBe('2');
    expect('responseTxn' in inner[2] && inner[2].responseTxn.succeeded).toBe(true);
    expect(range({ key: b('a') }).kvs).toEqual([]);
    expect(range({ key: b('b') }).kvs[0].modRevision).toBe(2);
    expect(range({ key: b('never') }).kvs).toEqual([]);
  });

  it('evaluates compares over ranges and every result and target', () => {
    put('k/1', 'a'); // 1
    put('k/2', 'b'); // 2
    const txn = (compare: object) =>
      t.ok({ kind: 'txn', txn: { compare: [{ key: b('k/'), rangeEnd: b('k0'), ...compare }] as never } });
    const ok = (compare: object) => {
      const r = txn(compare);
      return r.kind === 'txn' && r.txn.succeeded;
    };
    expect(ok({ target: CompareTarget.MOD, result: CompareResult.LESS, modRevision: 3 })).toBe(true);
    expect(ok({ target: CompareTarget.MOD, result: CompareResult.GREATER, modRevision: 1 })).toBe(false);
    expect(ok({ target: CompareTarget.CREATE, result: CompareResult.NOT_EQUAL, createRevision: 5 })).toBe(
      true,
    );
    expect(ok({ target: CompareTarget.VERSION, result: CompareResult.EQUAL, version: 1 })).toBe(true);
    expect(ok({ target: CompareTarget.VALUE, result: CompareResult.GREATER, value: b('') })).toBe(true);
    expect(ok({ target: CompareTarget.LEASE, result: CompareResult.EQUAL, lease: 0n })).toBe(true);
    // On missing keys: value compares fail, others compare against zero.
    const missing = (compare: object) => {
      const r = t.ok({ kind: 'txn', txn: { compare: [{ key: b('none'), ...compare }] as never } });
      return r.kind === 'txn' && r.txn.succeeded;
    };
    expect(missing({ target: CompareTarget.VALUE, result: CompareResult.NOT_EQUAL, value: b('x') })).toBe(
      false,
    );
    expect(missing({ target: CompareTarget.CREATE, result: CompareResult.EQUAL, createRevision: 0 })).toBe(
      true,
    );
    expect(range({ key: b('k/1') }).header.revision).toBe(2);
  });

  it('refuses a txn that writes a key twice, changing nothing', () => {
    const res = t.apply({
      kind: 'txn',
      txn: {
        success: [
          { requestPut: { key: b('a'), value: b('1') } },
          { requestDeleteRange: { key: b('a'), rangeEnd: b('b') } },
        ],
      },
    });
    expect(res.error?.message).toBe(ERR_DUPLICATE_KEY);
    expect(t.engine.store.currentRevision).toBe(0);
  });

  it('compacts physically: old revisions leave the backend, the latest of each key stays', async () => {
    put('a', '1'); // 1
    put('a', '2'); // 2
    put('b', '1'); // 3
    t.ok({ kind: 'deleteRange', deleteRange: { key: b('b') } }); // 4
    put('c', '1'); // 5
    expect(t.engine.backend.bucket('key').count()).toBe(5);
    t.ok({ kind: 'compaction', compaction: { revision: 4 } });
    const hash = t.engine.store.hash(5); // before the background deletions ran
    expect(t.engine.backend.bucket('key').count()).toBe(5);
    await t.engine.store.compactionDone();
    // Left: a@2 (latest of a) and c@5; b's history ended by its tombstone is gone.
    expect(t.engine.backend.bucket('key').count()).toBe(2);
    // The hash covers what reads can still see, so the deletions did not change it.
    expect(t.engine.store.hash(5).hash).toBe(hash.hash);
    expect(range({ key: b('a'), revision: 4 }).kvs.map((kv) => str(kv.value))).toEqual(['2']);
    expect(range({ key: b('b'), revision: 4 }).kvs).toEqual([]);
    expect(t.engine.store.hash(5).compactRevision).toBe(4);
  });

  it('deletes compacted revisions in batches in the background, resuming after a restart', async () => {
    await t.destroy();
    t = TestEngine.create({ compactionBatchRevisions: 3 });
    for (let i = 0; i < 30; i++) put(`k${i % 4}`, String(i)); // revisions 1..30
    t.ok({ kind: 'deleteRange', deleteRange: { key: b('k3') } }); // 31
    const before = t.engine.range({ key: b('k'), rangeEnd: b('l'), revision: 31 });
    t.ok({ kind: 'compaction', compaction: { revision: 31 } });
    // Reads below fail at once, whatever the deletions' progress.
    expect(() => range({ key: b('k0'), revision: 30 })).toThrow(ERR_COMPACTED);
    expect(t.engine.store.compactionPending).toBe(true);
    await t.reopen(); // before the deletions finished
    expect(range({ key: b('k'), rangeEnd: b('l') })).toEqual(before);
    await t.engine.store.compactionDone();
    // Left: the latest revision of k0, k1, k2; k3 ended with a tombstone at the compact revision.
    expect(t.engine.backend.bucket('key').count()).toBe(3);
    await t.reopen();
    expect(t.engine.store.compactionPending).toBe(false);
    expect(range({ key: b('k'), rangeEnd: b('l') })).toEqual(before);
  });

  it('rebuilds the index from the backend on reopen', async () => {
    put('a', '1');
    put('a', '2');
    t.ok({ kind: 'deleteRange', deleteRange: { key: b('a') } });
    put('a', '3');
    put('b', '1');
    t.ok({ kind: 'compaction', compaction: { revision: 2 } });
    const before = range({ key: Buffer.from([0]), rangeEnd: Buffer.from([0]) });
    const hash = t.engine.store.hash();
    await t.reopen();
    expect(range({ key: Buffer.from([0]), rangeEnd: Buffer.from([0]) })).toEqual(before);
    expect(t.engine.store.hash()).toEqual(hash);
    expect(t.engine.store.compactRevision).toBe(2);
    expect(range({ key: b('a'), revision: 2 }).kvs[0].version).toBe(2);
    expect(() => range({ key: b('a'), revision: 1 })).toThrow(ERR_COMPACTED);
    put('a', '4');
    expect(range({ key: b('a') }).kvs[0]).toMatchObject({ createRevision: 4, version: 2, modRevision: 6 });
  });

  it('reports delete events with the key and its mod revision', () => {
    put('a', '1');
    t.ok({ kind: 'deleteRange', deleteRange: { key: b('a') } });
    const events = [...t.engine.store.eventsBetween(1, 2)];
    expect(events.map((e) => [e.type, str(e.kv.key), e.kv.modRevision])).toEqual([
      [EventType.PUT, 'a', 1],
      [EventType.DELETE, 'a', 2],
    ]);
  });
});
