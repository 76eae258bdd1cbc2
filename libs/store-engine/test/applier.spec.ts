import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  AlarmAction,
  BackendBusyError,
  AlarmType,
  BackendQuota,
  ERR_BAD_REQUEST,
  ERR_EMPTY_KEY,
  ERR_LEASE_PROVIDED,
  ERR_TOO_MANY_TXN_OPS,
  ERR_VALUE_PROVIDED,
  MAX_TXN_OPS,
  encodeRequest,
  ERR_NO_SPACE,
  ERR_REQUEST_TOO_LARGE,
  EventType,
  isEngineError,
  MAX_REQUEST_BYTES,
  type InternalRequest,
} from '../src';
import { b, str, TestEngine } from './support/engine';

describe('Applier', () => {
  const engines: TestEngine[] = [];
  const create = (options = {}) => {
    const t = TestEngine.create(options);
    engines.push(t);
    return t;
  };
  afterEach(async () => {
    for (const t of engines.splice(0)) await t.destroy();
  });

  const entry = (index: number, request?: InternalRequest) => ({
    index,
    term: 2,
    data: request ? encodeRequest(request) : new Uint8Array(0),
  });

  it('records the consistent index with each entry and skips entries applied before', () => {
    const t = create();
    const putA = { kind: 'put', id: 'r1', put: { key: b('a'), value: b('1') } } as const;
    const results = t.engine.applier.applyEntries([entry(1), entry(2, putA), entry(3, putA)]);
    expect(results.map((r) => r?.response?.kind)).toEqual(['noop', 'put', 'put']);
    expect(results[1]?.requestId).toBe('r1');
    expect(t.engine.applier.consistentIndex).toBe(3);
    expect(t.engine.store.currentRevision).toBe(2);
    // The same entries again (a replay after a crash) change nothing.
    expect(t.engine.applier.applyEntries([entry(2, putA), entry(3, putA)])).toEqual([undefined, undefined]);
    expect(t.engine.store.currentRevision).toBe(2);
    expect(t.engine.applier.term).toBe(2);
  });

  it('advances the consistent index past a refused request, which changes nothing else', async () => {
    const t = create();
    const refused = t.engine.applier.applyEntry(
      entry(1, { kind: 'put', put: { key: b('a'), value: b('1'), lease: 99n } }),
    );
    expect(refused?.error?.grpcCode).toBe('NOT_FOUND');
    expect(t.engine.applier.consistentIndex).toBe(1);
    expect(t.engine.store.currentRevision).toBe(0);
    await t.reopen();
    expect(t.engine.applier.consistentIndex).toBe(1);
  });

  it('gives extension records their own bucket in the same transaction', async () => {
    const t = create();
    const register = () =>
      t.engine.applier.registerExtension('member', (payload, ctx) => {
        ctx.bucket.put(b(`member/${ctx.index}`), payload);
        return { stored: ctx.index };
      });
    register();
    const res = t.ok({ kind: 'extension', extension: { name: 'member', payload: b('peer-url') } });
    expect(res).toEqual({ kind: 'extension', extension: { stored: 1 } });
    await t.reopen();
    expect(str(t.engine.backend.bucket('ext').get(b('member/1')))).toBe('peer-url');
    expect(t.engine.applier.consistentIndex).toBe(1);
    // No handler (say, an older server): refused, not fatal.
    const unknown = t.apply({ kind: 'extension', extension: { name: 'member', payload: b('x') } });
    expect(unknown.error?.message).toContain('unknown extension');
    expect(t.engine.applier.consistentIndex).toBe(2);
  });

  it('keeps the registered handlers when a snapshot restore replaces the state', async () => {
    // A member catching up from the leader's snapshot must go on applying membership and auth
    // records: its handlers were registered once, before the restore.
    const leader = create();
    leader.ok({ kind: 'put', put: { key: b('a'), value: b('1') } });
    const data = await leader.engine.snapshot();
    const follower = create();
    follower.engine.applier.registerExtension('member', (payload) => ({ seen: str(payload) }));
    follower.engine.applier.onConfChange((data) => `conf ${str(data)}`);
    await follower.engine.restoreSnapshot(data);
    follower.index = follower.engine.applier.consistentIndex;
    expect(follower.ok({ kind: 'extension', extension: { name: 'member', payload: b('m4') } })).toEqual({
      kind: 'extension',
      extension: { seen: 'm4' },
    });
    const [conf] = follower.engine.applier.applyEntries([
      { index: ++follower.index, term: 2, type: 1, data: b('{"changes":[]}') },
    ]);
    expect(conf?.response).toEqual({ kind: 'confChange', confChange: 'conf {"changes":[]}' });
  });

  it('hands ConfChange entries to the server and refuses undecodable entries without stopping', () => {
    const t = create();
    const seen: string[] = [];
    t.engine.applier.onConfChange((data, ctx) => {
      ctx.bucket.put(b('members'), data);
      seen.push(`${ctx.index}:${str(data)}`);
      return 'member added';
    });
    const results = t.engine.applier.applyEntries([
      { index: 1, term: 1, type: 1, data: b('{"changes":[]}') },
      { index: 2, term: 1, data: b('not json') },
      { index: 3, term: 1, data: b('{"kind":"frobnicate"}') },
      entry(4, { kind: 'put', put: { key: b('a'), value: b('1') } }),
    ]);
    expect(results[0]?.response).toEqual({ kind: 'confChange', confChange: 'member added' });
    expect(seen).toEqual(['1:{"changes":[]}']);
    expect(results[1]?.error?.message).toBe(ERR_BAD_REQUEST);
    expect(results[2]?.error?.message).toBe(ERR_BAD_REQUEST);
    expect(results[3]?.response?.kind).toBe('put');
    expect(t.engine.applier.consistentIndex).toBe(4);
    expect(str(t.engine.backend.bucket('ext').get(b('members')))).toBe('{"changes":[]}');
  });

  it('publishes watch events only after the batch commits', () => {
    const t = create();
    const stream = t.engine.watchHub.newStream();
    stream.watch({ key: b('a') });
    stream.poll();
    t.engine.applier.applyEntries([
      entry(1, { kind: 'put', put: { key: b('a'), value: b('1') } }),
      entry(2, { kind: 'deleteRange', deleteRange: { key: b('a') } }),
    ]);
    const types = [stream.poll(), stream.poll()].map((r) => r?.events[0].type);
    expect(types).toEqual([EventType.PUT, EventType.DELETE]);
  });

  it('moves the whole applied state through a backend snapshot', async () => {
    const a = create();
    a.ok({ kind: 'leaseGrant', leaseGrant: { id: 5n, ttl: 60 } });
    for (let i = 0; i < 20; i++)
      a.ok({ kind: 'put', put: { key: b(`k${i % 7}`), value: b(`v${i}`), lease: 5n } });
    a.ok({ kind: 'compaction', compaction: { revision: 10 } });
    const data = await a.engine.snapshot();
    // The stream form carries a backend that restores to the same state.
    const chunks: Buffer[] = [];
    for await (const chunk of await a.engine.snapshotStream()) chunks.push(chunk as Buffer);
    const streamed = create();
    await streamed.engine.restoreSnapshot(Buffer.concat(chunks));
    expect(streamed.engine.store.hash()).toEqual(a.engine.store.hash());
    expect(readdirSync(join(a.dir, 'backend')).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const c = create();
    c.ok({ kind: 'put', put: { key: b('stale'), value: b('x') } });
    const stream = c.engine.watchHub.newStream();
    stream.watch({ key: b('k'), rangeEnd: b('l') });
    stream.poll();
    await c.engine.restoreSnapshot(data);
    expect(c.engine.store.hash()).toEqual(a.engine.store.hash());
    expect(c.engine.applier.consistentIndex).toBe(a.engine.applier.consistentIndex);
    expect(c.engine.range({ key: b('stale') }).kvs).toEqual([]);
    expect(c.engine.lessor.timeToLive(5n, true).keys).toHaveLength(7);
    // The watcher missed history that the snapshot no longer has: cancelled, told where to resume.
    c.engine.watchHub.syncWatchers();
    expect(stream.poll()).toMatchObject({ canceled: true, compactRevision: 10 });
    const resumed = stream.watch({ key: b('k'), rangeEnd: b('l'), startRevision: 20 });
    stream.poll();
    // Applying continues after the snapshot's index.
    c.index = c.engine.applier.consistentIndex;
    c.ok({ kind: 'put', put: { key: b('k1'), value: b('after') } });
    for (let i = 0; i < 3; i++) c.engine.watchHub.syncWatchers();
    const seen = [stream.poll(), stream.poll(), stream.poll()].filter((r) => r?.watchId === resumed);
    expect(seen.flatMap((r) => r!.events).map((e) => [e.kv.modRevision, str(e.kv.value)])).toEqual([
      [20, 'v19'],
      [21, 'after'],
    ]);
  });

  it('defragments the backend without losing data', async () => {
    const t = create();
    for (let i = 0; i < 300; i++)
      t.ok({ kind: 'put', put: { key: b(`k${i % 10}`), value: Buffer.alloc(2000, i) } });
    t.ok({ kind: 'compaction', compaction: { revision: 300 } });
    await t.engine.store.compactionDone();
    const hash = t.engine.store.hash();
    // The file holds the writes once they are committed (every 100 ms, or here, at once).
    await t.engine.backend.flushed();
    const before = t.engine.backend.fileBytes();
    const defrag = t.engine.defragment();
    // Meanwhile nothing may be applied (it would be lost with the old file); nothing is marked failed.
    expect(() =>
      t.engine.applier.applyEntry({ index: t.index + 1, term: 1, data: new Uint8Array(0) }),
    ).toThrow(BackendBusyError);
    let writable = false;
    const waiting = t.engine.writable().then(() => (writable = true));
    await Promise.resolve();
    expect(writable).toBe(false);
    await defrag;
    await waiting;
    expect(writable).toBe(true);
    expect(t.engine.backend.fileBytes()).toBeLessThan(before);
    expect(t.engine.store.hash()).toEqual(hash);
    t.ok({ kind: 'put', put: { key: b('after'), value: b('1') } });
    expect(t.engine.range({ key: b('after') }).kvs).toHaveLength(1);
  });
});

describe('Quotas and alarms', () => {
  let t: TestEngine;
  afterEach(async () => {
    await t.destroy();
  });

  it('refuses requests over the size limit', () => {
    t = TestEngine.create();
    const big = { kind: 'put', put: { key: b('k'), value: Buffer.alloc(MAX_REQUEST_BYTES) } } as const;
    expect(() => t.engine.prepareProposal(big)).toThrow(ERR_REQUEST_TOO_LARGE);
    expect(
      t.engine.prepareProposal({ kind: 'put', put: { key: b('k'), value: Buffer.alloc(1024) } }),
    ).toBeInstanceOf(Buffer);
  });

  it('raises NOSPACE at the quota and refuses writes, not reads or deletes, until cleared', async () => {
    t = TestEngine.create({ quotaBackendBytes: 256 * 1024 });
    const put = (i: number): InternalRequest => ({
      kind: 'put',
      put: { key: b(`k${i}`), value: Buffer.alloc(8 * 1024) },
    });
    let refusedAt = -1;
    for (let i = 0; i < 200; i++) {
      try {
        t.engine.prepareProposal(put(i));
      } catch (error) {
        if (!isEngineError(error, ERR_NO_SPACE)) throw error;
        refusedAt = i;
        break;
      }
      t.ok(put(i));
    }
    expect(refusedAt).toBeGreaterThan(0);
    // The server proposes the alarm; every member applies it.
    t.ok({ kind: 'alarm', alarm: BackendQuota.alarmRequest(1n) });
    expect(t.engine.alarms.has(AlarmType.NOSPACE)).toBe(true);
    expect(t.apply(put(1000)).error?.message).toBe(ERR_NO_SPACE);
    expect(t.apply({ kind: 'leaseGrant', leaseGrant: { id: 1n, ttl: 10 } }).error?.message).toBe(
      ERR_NO_SPACE,
    );
    expect(
      t.apply({ kind: 'txn', txn: { success: [{ requestPut: { key: b('x'), value: b('y') } }] } }).error
        ?.message,
    ).toBe(ERR_NO_SPACE);
    expect(t.apply({ kind: 'deleteRange', deleteRange: { key: b('k0') } }).error).toBeUndefined();
    expect(t.apply({ kind: 'range', range: { key: b('k1') } }).response).toMatchObject({ kind: 'range' });
    expect(t.engine.range({ key: b('k1') }).kvs).toHaveLength(1);
    // The operator's way out, as with etcd: delete or compact, defragment, disarm the alarm.
    for (let i = 0; i < refusedAt; i++) t.ok({ kind: 'deleteRange', deleteRange: { key: b(`k${i}`) } });
    t.ok({ kind: 'compaction', compaction: { revision: t.engine.store.currentRevision } });
    await t.engine.store.compactionDone();
    await t.engine.defragment();
    expect(() => t.engine.prepareProposal(put(1000))).not.toThrow();
    t.ok({
      kind: 'alarm',
      alarm: { action: AlarmAction.DEACTIVATE, memberId: 1n, alarm: AlarmType.NOSPACE },
    });
    expect(t.apply(put(1000)).error).toBeUndefined();
  });

  it('keeps alarms across restarts', async () => {
    t = TestEngine.create();
    t.ok({ kind: 'alarm', alarm: BackendQuota.alarmRequest(7n) });
    await t.reopen();
    expect(t.engine.alarms.list()).toEqual([{ memberId: 7n, alarm: AlarmType.NOSPACE }]);
  });
});

describe('Request validation before proposing', () => {
  let t: TestEngine;
  beforeEach(() => {
    t = TestEngine.create();
  });
  afterEach(async () => {
    await t.destroy();
  });

  it('refuses what etcd refuses at its gRPC edge, with its messages', () => {
    const refuse = (request: InternalRequest) => {
      try {
        t.engine.prepareProposal(request);
        return 'accepted';
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(refuse({ kind: 'put', put: { key: b(''), value: b('v') } })).toBe(ERR_EMPTY_KEY);
    expect(refuse({ kind: 'put', put: { key: b('k'), value: b('v'), ignoreValue: true } })).toBe(
      ERR_VALUE_PROVIDED,
    );
    expect(refuse({ kind: 'put', put: { key: b('k'), lease: 5n, ignoreLease: true } })).toBe(
      ERR_LEASE_PROVIDED,
    );
    expect(refuse({ kind: 'range', range: { key: b('') } })).toBe(ERR_EMPTY_KEY);
    expect(refuse({ kind: 'deleteRange', deleteRange: { key: b('') } })).toBe(ERR_EMPTY_KEY);
    const nested = { requestTxn: { success: [{ requestPut: { key: b(''), value: b('') } }] } };
    expect(refuse({ kind: 'txn', txn: { failure: [nested] } })).toBe(ERR_EMPTY_KEY);
    const tooMany = Array.from({ length: MAX_TXN_OPS + 1 }, (_, i) => ({
      requestRange: { key: b(`k${i}`) },
    }));
    expect(refuse({ kind: 'txn', txn: { success: tooMany } })).toBe(ERR_TOO_MANY_TXN_OPS);
    expect(refuse({ kind: 'put', put: { key: b('k'), value: b('v') } })).toBe('accepted');
    expect(() => t.engine.range({ key: b('') })).toThrow(ERR_EMPTY_KEY);
  });
});
