import {
  EventType,
  prefixRangeEnd,
  STREAM_PROGRESS_WATCH_ID,
  WatchFilterType,
  type WatchResponse,
  type WatchStream,
} from '../src';
import { b, prng, str, TestEngine } from './support/engine';

/** Everything queued on the stream now. */
function drain(stream: WatchStream): WatchResponse[] {
  const out: WatchResponse[] = [];
  for (let r = stream.poll(); r; r = stream.poll()) out.push(r);
  return out;
}

const summary = (responses: WatchResponse[]) =>
  responses.flatMap((r) =>
    r.events.map((e) => `${e.type === EventType.PUT ? 'put' : 'del'}:${str(e.kv.key)}@${e.kv.modRevision}`),
  );

describe('Watch hub', () => {
  let t: TestEngine;
  beforeEach(() => {
    t = TestEngine.create();
  });
  afterEach(async () => {
    await t.destroy();
  });

  const put = (key: string, value = 'v') => t.ok({ kind: 'put', put: { key: b(key), value: b(value) } });
  const del = (key: string) => t.ok({ kind: 'deleteRange', deleteRange: { key: b(key) } });
  const hub = () => t.engine.watchHub;

  it('answers created first, then delivers later changes of the watched key with prev kv', () => {
    put('a', '0');
    const stream = hub().newStream();
    const id = stream.watch({ key: b('a'), prevKv: true });
    put('a', '1');
    put('b', 'x');
    del('a');
    const responses = drain(stream);
    expect(responses[0]).toMatchObject({ watchId: id, created: true, revision: 1 });
    expect(summary(responses)).toEqual(['put:a@2', 'del:a@4']);
    expect(str(responses[1].events[0].prevKv?.value)).toBe('0');
    expect(str(responses[2].events[0].prevKv?.value)).toBe('1');
  });

  it('applies no-put and no-delete filters', () => {
    const stream = hub().newStream();
    const noPut = stream.watch({ key: b('a'), filters: [WatchFilterType.NOPUT] });
    const noDelete = stream.watch({ key: b('a'), filters: [WatchFilterType.NODELETE] });
    put('a');
    del('a');
    const all = drain(stream);
    expect(summary(all.filter((r) => r.watchId === noPut))).toEqual(['del:a@2']);
    expect(summary(all.filter((r) => r.watchId === noDelete))).toEqual(['put:a@1']);
  });

  it('delivers a transaction as one response, never split', () => {
    const stream = hub().newStream();
    stream.watch({ key: b('k/'), rangeEnd: prefixRangeEnd(b('k/')) });
    t.ok({
      kind: 'txn',
      txn: {
        success: [
          { requestPut: { key: b('k/1'), value: b('1') } },
          { requestPut: { key: b('k/2'), value: b('2') } },
          { requestPut: { key: b('other'), value: b('2') } },
        ],
      },
    });
    const events = drain(stream).filter((r) => r.events.length > 0);
    expect(events).toHaveLength(1);
    expect(summary(events)).toEqual(['put:k/1@1', 'put:k/2@1']);
  });

  it('catches up from a past revision through the backend, then goes on live, in order', () => {
    for (let i = 0; i < 5; i++) put(`k${i}`);
    const stream = hub().newStream();
    stream.watch({ key: b('k'), rangeEnd: b('l'), startRevision: 2 });
    expect(hub().stats().unsynced).toBe(1);
    put('k9'); // rev 6, while the watcher is still behind
    hub().syncWatchers();
    expect(hub().stats()).toMatchObject({ synced: 1, unsynced: 0 });
    put('k10'); // rev 7, live
    expect(summary(drain(stream))).toEqual([
      'put:k1@2',
      'put:k2@3',
      'put:k3@4',
      'put:k4@5',
      'put:k9@6',
      'put:k10@7',
    ]);
  });

  it('cancels a watch whose start revision has been compacted, naming the compact revision', () => {
    for (let i = 0; i < 5; i++) put('a', String(i));
    t.ok({ kind: 'compaction', compaction: { revision: 4 } });
    const stream = hub().newStream();
    const id = stream.watch({ key: b('a'), startRevision: 2 });
    hub().syncWatchers();
    const last = drain(stream).at(-1);
    expect(last).toMatchObject({ watchId: id, canceled: true, compactRevision: 4 });
    expect(stream.watcherIds()).toEqual([]);
  });

  it('lets a slow watcher fall behind without holding back writers or fast watchers, then catches it up', () => {
    const slow = hub().newStream({ bufferResponses: 2 });
    const fast = hub().newStream({ bufferResponses: 2 });
    slow.watch({ key: b('a') });
    fast.watch({ key: b('a') });
    drain(slow);
    const fastSeen: WatchResponse[] = [];
    for (let i = 1; i <= 50; i++) {
      put('a', String(i));
      fastSeen.push(...drain(fast));
    }
    expect(summary(fastSeen)).toHaveLength(50);
    expect(hub().stats().victims).toBe(1);
    expect(slow.pending).toBe(2); // bounded: nothing more was buffered for it
    const slowSeen: WatchResponse[] = [];
    for (let round = 0; round < 100 && hub().stats().synced < 2; round++) {
      slowSeen.push(...drain(slow));
      hub().syncWatchers();
    }
    slowSeen.push(...drain(slow));
    put('a', 'live');
    slowSeen.push(...drain(slow));
    const expected = Array.from({ length: 51 }, (_, i) => `put:a@${i + 1}`);
    expect(summary(slowSeen)).toEqual(expected);
  });

  it('sends progress notifications to synced watchers only', () => {
    put('a');
    const stream = hub().newStream();
    const live = stream.watch({ key: b('a') });
    const behind = stream.watch({ key: b('a'), startRevision: 1 });
    drain(stream);
    expect(stream.requestProgress(live)).toBe(true);
    expect(stream.requestProgress(behind)).toBe(false);
    expect(stream.requestProgressAll()).toBe(false);
    expect(drain(stream)).toEqual([{ watchId: live, revision: 1, events: [] }]);
    hub().syncWatchers();
    drain(stream);
    expect(stream.requestProgressAll()).toBe(true);
    expect(drain(stream)).toEqual([{ watchId: STREAM_PROGRESS_WATCH_ID, revision: 1, events: [] }]);
    const notified = stream.watch({ key: b('zzz'), progressNotify: true });
    drain(stream);
    hub().sendProgressNotifications();
    expect(drain(stream)).toEqual([{ watchId: notified, revision: 1, events: [] }]);
    // A client that asks faster than it reads does not grow the queue without bound.
    let queued = 0;
    for (let i = 0; i < 1000; i++) if (stream.requestProgress(live)) queued++;
    expect(queued).toBe(stream.bufferResponses);
    expect(stream.pending).toBe(stream.bufferResponses);
  });

  it('fragments large responses for watchers that ask, and the fragments join back whole', () => {
    const stream = hub().newStream({ fragmentBytes: 1000 });
    stream.watch({ key: b('k/'), rangeEnd: prefixRangeEnd(b('k/')), fragment: true });
    const big = 'x'.repeat(400);
    t.ok({
      kind: 'txn',
      txn: {
        success: Array.from({ length: 6 }, (_, i) => ({ requestPut: { key: b(`k/${i}`), value: b(big) } })),
      },
    });
    const parts = drain(stream).filter((r) => r.events.length > 0);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.slice(0, -1).every((p) => p.fragment === true)).toBe(true);
    expect(parts.at(-1)!.fragment).toBeUndefined();
    expect(summary(parts)).toEqual(Array.from({ length: 6 }, (_, i) => `put:k/${i}@1`));
  });

  for (const withCompaction of [false, true]) {
    it(`delivers, for random writes and random slow readers, every matching event once, in order${withCompaction ? ', or a prefix and a compact revision when compacted' : ''}`, async () => {
      // Small catch-up batches, so watchers far apart in history are served over several passes.
      await t.destroy();
      t = TestEngine.create({ watch: { timers: false, syncBatchRevisions: 7 } });
      const seed = Number(process.env.SEED ?? 20261121);
      const rnd = prng(seed);
      const keys = ['a', 'b', 'c', 'd/1', 'd/2'];
      const log: { rev: number; key: string; type: 'put' | 'del' }[] = [];
      const watchers: {
        stream: WatchStream;
        key: string;
        end?: string;
        start: number;
        seen: WatchResponse[];
      }[] = [];
      let compactions = 0;
      for (let step = 0; step < 400; step++) {
        const roll = rnd.next();
        if (roll < 0.55) {
          const key = rnd.pick(keys);
          const res = put(key, String(step));
          if (res.kind === 'put') log.push({ rev: res.put.header.revision, key, type: 'put' });
        } else if (roll < 0.7) {
          const key = rnd.pick(keys);
          const before = t.engine.store.currentRevision;
          del(key);
          if (t.engine.store.currentRevision > before) log.push({ rev: before + 1, key, type: 'del' });
        } else if (roll < 0.75 && watchers.length < 8) {
          const key = rnd.pick(['a', 'd/']);
          const end = key === 'd/' ? 'd0' : undefined;
          const start = 1 + rnd.int(t.engine.store.currentRevision + 2);
          const stream = hub().newStream({ bufferResponses: 1 + rnd.int(3) });
          stream.watch({ key: b(key), rangeEnd: end ? b(end) : undefined, startRevision: start });
          watchers.push({ stream, key, end, start, seen: [] });
        } else if (roll < 0.9) {
          const w = rnd.pick(watchers.length ? watchers : [undefined]);
          if (w) w.seen.push(...drain(w.stream));
        } else if (roll < 0.93 && withCompaction) {
          const { currentRevision, compactRevision } = t.engine.store;
          if (currentRevision > compactRevision + 40) {
            t.ok({ kind: 'compaction', compaction: { revision: currentRevision - 30 } });
            compactions++;
          }
        } else {
          hub().syncWatchers();
        }
      }
      for (let round = 0; round < 200; round++) {
        for (const w of watchers) w.seen.push(...drain(w.stream));
        if (hub().syncWatchers() === 0 && hub().stats().victims === 0) break;
      }
      for (const w of watchers) w.seen.push(...drain(w.stream));
      expect(watchers.length).toBeGreaterThan(3);
      let cancelled = 0;
      if (!withCompaction) expect(summary(watchers.flatMap((w) => w.seen)).length).toBeGreaterThan(100);
      for (const w of watchers) {
        const matches = (k: string) => (w.end ? k >= w.key && k < w.end : k === w.key);
        const expected = log
          .filter((e) => e.rev >= w.start && matches(e.key))
          .map((e) => `${e.type}:${e.key}@${e.rev}`);
        const got = summary(w.seen);
        const cancel = w.seen.find((r) => r.canceled);
        if (cancel) {
          // Its history was compacted before it caught up: what it got is a gapless prefix, and
          // it was told a compact revision past everything it got, from where to resume.
          expect({ seed, got }).toEqual({ seed, got: expected.slice(0, got.length) });
          const last = w.seen.flatMap((r) => r.events).at(-1)?.kv.modRevision ?? w.start - 1;
          expect(cancel.compactRevision).toBeGreaterThan(last);
          cancelled++;
        } else {
          expect({ seed, start: w.start, key: w.key, got }).toEqual({
            seed,
            start: w.start,
            key: w.key,
            got: expected,
          });
        }
        // A revision's events are never split across responses.
        const revsPerResponse = w.seen.map((r) => new Set(r.events.map((e) => e.kv.modRevision)));
        const seenRevs = revsPerResponse.flatMap((s) => [...s]);
        expect(new Set(seenRevs).size).toBe(seenRevs.length);
      }
      if (withCompaction) {
        expect(compactions).toBeGreaterThan(0);
        expect(cancelled).toBeGreaterThan(0);
      } else {
        expect(cancelled).toBe(0);
      }
    });
  }

  it('catches up on its own timer and streams through the async iterator', async () => {
    const live = TestEngine.create({ watch: { timers: true, syncBatchRevisions: 10 } });
    try {
      for (let i = 1; i <= 35; i++) live.ok({ kind: 'put', put: { key: b('a'), value: b(String(i)) } });
      const stream = live.engine.watchHub.newStream({ bufferResponses: 2 });
      stream.watch({ key: b('a'), startRevision: 1 });
      const values: string[] = [];
      for await (const response of stream) {
        values.push(...response.events.map((e) => str(e.kv.value)));
        if (values.length === 35) live.ok({ kind: 'put', put: { key: b('a'), value: b('36') } });
        if (values.length >= 36) break;
      }
      expect(values).toEqual(Array.from({ length: 36 }, (_, i) => String(i + 1)));
      stream.close();
      expect(await stream.next()).toBeUndefined();
    } finally {
      await live.destroy();
    }
  });
});
