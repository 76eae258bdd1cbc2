/*
 * The restart path the server follows: entries are saved to the WAL before they are applied;
 * after a stop at any point, the backend says up to where it applied (the consistent index) and
 * only the WAL entries after it are applied again. A new member starts from a snapshot file
 * plus the WAL after the snapshot.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EntryType, type Entry } from '@skyroad/raft';
import { encodeRequest, ManualClock, Snapshotter, StoreEngine, Wal, type InternalRequest } from '../src';
import { b, prng } from './support/engine';

const CONF_STATE = { voters: [1], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };

function requestFor(i: number, rnd: ReturnType<typeof prng>): InternalRequest {
  const key = b(`key/${rnd.int(20)}`);
  const roll = rnd.next();
  if (i === 1) return { kind: 'leaseGrant', leaseGrant: { id: 9n, ttl: 100 } };
  if (roll < 0.6) return { kind: 'put', put: { key, value: b(`v${i}`), lease: rnd.next() < 0.2 ? 9n : 0n } };
  if (roll < 0.8) return { kind: 'deleteRange', deleteRange: { key } };
  return {
    kind: 'txn',
    txn: {
      compare: [{ key, target: 0, result: 1, version: 1 }],
      success: [{ requestPut: { key: b(`txn/${i}`), value: b('s') } }],
      failure: [{ requestDeleteRange: { key: b('txn/'), rangeEnd: b('txn0') } }],
    },
  };
}

describe('restart: backend + WAL replay after the consistent index', () => {
  const dirs: string[] = [];
  const newDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'restart-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const open = (dir: string) =>
    StoreEngine.open({ dataDir: dir, clock: new ManualClock(0), watch: { timers: false } });
  const everything = (engine: StoreEngine) =>
    engine
      .range({ key: Buffer.from([0]), rangeEnd: Buffer.from([0]) })
      .kvs.map((kv) => [kv.key.toString(), kv.value.toString(), kv.modRevision, kv.version]);

  it('applies each entry exactly once across a stop between WAL save and apply', async () => {
    const rnd = prng(77);
    const entries: Entry[] = Array.from({ length: 120 }, (_, k) => ({
      index: k + 1,
      term: 1,
      type: EntryType.Normal,
      data: encodeRequest(requestFor(k + 1, rnd)),
    }));
    // The reference: one engine that applied everything once.
    const reference = open(newDir());
    reference.applier.applyEntries(entries);

    const dir = newDir();
    let { wal } = Wal.open(join(dir, 'wal'));
    let engine = open(dir);
    await wal.save({ term: 1, vote: 1, commit: 120 }, entries);
    engine.applier.applyEntries(entries.slice(0, 70)); // stopped before applying the rest
    await engine.close();
    await wal.close();

    ({ wal } = Wal.open(join(dir, 'wal')));
    const replay = Wal.open(join(dir, 'wal')).contents.entries;
    engine = open(dir);
    expect(engine.applier.consistentIndex).toBe(70);
    const results = engine.applier.applyEntries(replay);
    expect(results.filter((r) => r !== undefined)).toHaveLength(50); // only those after 70
    expect(engine.applier.consistentIndex).toBe(120);
    expect(everything(engine)).toEqual(everything(reference));
    expect(engine.store.hash()).toEqual(reference.store.hash());
    expect(engine.lessor.timeToLive(9n, true).keys).toEqual(reference.lessor.timeToLive(9n, true).keys);
    // Replaying the whole log again changes nothing.
    engine.applier.applyEntries(replay);
    expect(engine.store.hash()).toEqual(reference.store.hash());
    await wal.close();
    await engine.close();

    // A new member: the snapshot of the backend at 120, then the WAL after it.
    const snapDir = join(dir, 'snap');
    const source = open(dir);
    new Snapshotter(snapDir).save({
      metadata: { index: 120, term: 1, confState: CONF_STATE },
      data: await source.snapshot(),
    });
    await source.close();
    const more: Entry[] = Array.from({ length: 10 }, (_, k) => ({
      index: 121 + k,
      term: 2,
      type: EntryType.Normal,
      data: encodeRequest({ kind: 'put', put: { key: b(`late/${k}`), value: b('x') } }),
    }));
    reference.applier.applyEntries(more);
    const fresh = open(newDir());
    const snap = new Snapshotter(snapDir).load()!;
    await fresh.restoreSnapshot(snap.data);
    expect(fresh.applier.consistentIndex).toBe(snap.metadata.index);
    fresh.applier.applyEntries(more);
    expect(everything(fresh)).toEqual(everything(reference));
    await fresh.close();
    await reference.close();
  });
});
