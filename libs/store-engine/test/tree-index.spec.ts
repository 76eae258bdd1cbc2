/*
 * The packed TreeIndex against the index it replaced (one KeyIndex per key, every key in a
 * Map): random sequences of puts, deletes, compactions and restarts (replaying what the backend
 * would still hold), and after every step every read the store makes of the index (get, aliveAt,
 * hasRevision, count, visit) at every readable revision must agree. SEED=<n> replays a run.
 */
import { intervalContains, type KeyInterval } from '../src/bytes';
import { KeyIndex, type KeyAtRevision } from '../src/mvcc/key-index';
import type { Revision } from '../src/mvcc/revision';
import { TreeIndex } from '../src/mvcc/tree-index';
import { prng } from './support/engine';

/** The index as it was before packing: a KeyIndex per key. */
class ReferenceIndex {
  readonly byKey = new Map<string, KeyIndex>();

  get(key: string, atRev: number): KeyAtRevision | undefined {
    return this.byKey.get(key)?.get(atRev);
  }

  aliveAt(key: string, atRev: number): boolean {
    return this.get(key, atRev) !== undefined;
  }

  hasRevision(key: string, rev: Revision): boolean {
    return this.byKey.get(key)?.hasRevision(rev) ?? false;
  }

  put(key: string, rev: Revision): void {
    this.getOrCreate(key).put(rev);
  }

  restorePut(key: string, rev: Revision, created: Revision, version: number): void {
    this.getOrCreate(key).restorePut(rev, created, version);
  }

  tombstone(key: string, rev: Revision): void {
    this.byKey.get(key)!.tombstone(rev);
  }

  compact(atRev: number): void {
    for (const [key, ki] of this.byKey) {
      ki.compact(atRev);
      if (ki.isEmpty) this.byKey.delete(key);
    }
  }

  visit(interval: KeyInterval, atRev: number): Array<[string, number, number]> {
    const out: Array<[string, number, number]> = [];
    for (const key of [...this.byKey.keys()].sort()) {
      if (!intervalContains(interval, key)) continue;
      const at = this.get(key, atRev);
      if (at) out.push([key, at.modified.main, at.modified.sub]);
    }
    return out;
  }

  /** Keys whose history is one live revision: what TreeIndex should hold packed. */
  get singleRevisionKeys(): number {
    let n = 0;
    for (const ki of this.byKey.values()) if (ki.singleRevision()) n++;
    return n;
  }

  private getOrCreate(key: string): KeyIndex {
    let ki = this.byKey.get(key);
    if (!ki) this.byKey.set(key, (ki = new KeyIndex(key)));
    return ki;
  }
}

/** A revision as the backend stores it: enough to replay it into an index at restart. */
interface StoredRevision {
  rev: Revision;
  key: string;
  tombstone: boolean;
  createRevision: number;
  version: number;
}

const KEYS = ['\x00', 'a', 'a\x00', 'ab', 'b', 'b/1', 'b/2', 'b/3', 'c', 'zz', '\xff', '\xff\xff'];

function visitAll(index: TreeIndex, interval: KeyInterval, atRev: number): Array<[string, number, number]> {
  const out: Array<[string, number, number]> = [];
  index.visit(interval, atRev, (key, main, sub) => {
    out.push([key, main, sub]);
  });
  return out;
}

function randomInterval(r: ReturnType<typeof prng>): KeyInterval {
  if (r.int(4) === 0) return { kind: 'single', key: r.pick(KEYS) };
  const a = r.pick([...KEYS, '', 'b/']);
  const b = r.pick([...KEYS, 'b0', 'c']);
  return { kind: 'range', start: a, end: r.int(3) === 0 ? undefined : b };
}

function runSequence(seed: number, steps: number, blockKeys?: number): void {
  const r = prng(seed);
  let index = new TreeIndex(blockKeys);
  let ref = new ReferenceIndex();
  const stored: StoredRevision[] = [];
  const live = new Map<string, { createRevision: number; version: number }>();
  let rev = 0;
  let compactRev = 0;

  const replay = (): void => {
    index = new TreeIndex(blockKeys);
    ref = new ReferenceIndex();
    for (const s of stored) {
      for (const target of [index, ref]) {
        if (s.tombstone) {
          if (target.aliveAt(s.key, s.rev.main)) target.tombstone(s.key, s.rev);
        } else {
          target.restorePut(s.key, s.rev, { main: s.createRevision, sub: 0 }, s.version);
        }
      }
    }
    if (compactRev > 0) {
      index.compact(compactRev);
      ref.compact(compactRev);
    }
  };

  const check = (when: string): void => {
    const context = `seed ${seed}, ${when}, rev ${rev}, compacted ${compactRev}`;
    expect({ context, size: index.size }).toEqual({ context, size: ref.byKey.size });
    expect({ context, packed: index.packedCount }).toEqual({ context, packed: ref.singleRevisionKeys });
    // The oldest and newest readable revisions, and a few in between.
    const revisions = new Set([compactRev, rev]);
    for (let n = 0; n < 3; n++) revisions.add(compactRev + r.int(rev - compactRev + 1));
    for (const at of revisions) {
      const read = (target: TreeIndex | ReferenceIndex) => ({
        at,
        got: KEYS.map((key) => target.get(key, at)),
        alive: KEYS.map((key) => target.aliveAt(key, at)),
      });
      expect({ context, ...read(index) }).toEqual({ context, ...read(ref) });
      for (let n = 0; n < 4; n++) {
        const interval = randomInterval(r);
        const expected = ref.visit(interval, at);
        const got = visitAll(index, interval, at);
        const count = index.count(interval, at);
        expect({ context, at, interval, got, count }).toEqual({
          context,
          at,
          interval,
          got: expected,
          count: expected.length,
        });
      }
    }
    const has = (target: TreeIndex | ReferenceIndex) => stored.map((s) => target.hasRevision(s.key, s.rev));
    expect({ context, has: has(index) }).toEqual({ context, has: has(ref) });
    // A visitor returning false stops the walk at once.
    const firstOnly: string[] = [];
    index.visit({ kind: 'range', start: '', end: undefined }, rev, (key) => {
      firstOnly.push(key);
      return false;
    });
    expect(firstOnly.length).toBe(
      Math.min(1, ref.visit({ kind: 'range', start: '', end: undefined }, rev).length),
    );
  };

  for (let step = 0; step < steps; step++) {
    const op = r.int(10);
    if (op < 6) {
      // One write transaction: a few puts and deletes at the same main revision.
      const main = rev + 1;
      let sub = 0;
      for (let n = 1 + r.int(3); n > 0; n--) {
        const key = r.pick(KEYS);
        const at: Revision = { main, sub };
        if (r.int(3) === 0) {
          if (!index.aliveAt(key, main)) continue;
          index.tombstone(key, at);
          ref.tombstone(key, at);
          live.delete(key);
          stored.push({ rev: at, key, tombstone: true, createRevision: 0, version: 0 });
        } else {
          const prev = live.get(key);
          const state = {
            createRevision: prev ? prev.createRevision : main,
            version: (prev?.version ?? 0) + 1,
          };
          live.set(key, state);
          index.put(key, at);
          ref.put(key, at);
          stored.push({ rev: at, key, tombstone: false, ...state });
        }
        sub++;
      }
      if (sub > 0) rev = main;
    } else if (op < 8) {
      if (rev > compactRev) {
        compactRev = compactRev + 1 + r.int(rev - compactRev);
        index.compact(compactRev);
        ref.compact(compactRev);
        // The compactor deletes what the index no longer holds (asked through hasRevision).
        for (let i = stored.length - 1; i >= 0; i--) {
          const s = stored[i];
          if (s.rev.main <= compactRev && !index.hasRevision(s.key, s.rev)) stored.splice(i, 1);
        }
      }
    } else if (op < 9) {
      // Restart: both indexes rebuilt from what the backend holds must answer as before.
      const before = KEYS.map((key) => index.get(key, rev));
      replay();
      check(`step ${step} (restart)`);
      const after = KEYS.map((key) => index.get(key, rev));
      // Restore takes the creation revision from the stored kv: only its main part survives.
      const shape = (at: KeyAtRevision | undefined) =>
        at && { modified: at.modified, created: at.created.main, version: at.version };
      expect({ seed, step, after: after.map(shape) }).toEqual({ seed, step, after: before.map(shape) });
      continue;
    }
    check(`step ${step}`);
  }
}

describe('TreeIndex (packed) against the KeyIndex-per-key index', () => {
  const base = process.env.SEED ? Number(process.env.SEED) : Date.now() % 100_000;
  const runs = process.env.SEED ? 1 : 40;
  it(`agrees on every read over random histories (seeds ${base}..${base + runs - 1})`, () => {
    for (let seed = base; seed < base + runs; seed++) runSequence(seed, 120);
  });

  const smallRuns = Math.min(runs, 12);
  it(`agrees with blocks of 2 and 3 keys, which split and empty all the time (seeds ${base}..${base + smallRuns - 1})`, () => {
    for (let seed = base; seed < base + smallRuns; seed++) {
      runSequence(seed, 120, 2);
      runSequence(seed, 120, 3);
    }
  });

  it('holds a key put once packed, unpacks it on a second put, packs it again after compaction', () => {
    const index = new TreeIndex();
    index.put('k', { main: 1, sub: 0 });
    index.put('j', { main: 1, sub: 1 });
    expect(index.packedCount).toBe(2);
    index.put('k', { main: 2, sub: 0 });
    expect(index.packedCount).toBe(1);
    expect(index.get('k', 1)?.modified).toEqual({ main: 1, sub: 0 });
    expect(index.get('k', 2)).toEqual({
      modified: { main: 2, sub: 0 },
      created: { main: 1, sub: 0 },
      version: 2,
    });
    index.compact(2);
    expect(index.packedCount).toBe(2);
    expect(index.get('k', 2)).toEqual({
      modified: { main: 2, sub: 0 },
      created: { main: 1, sub: 0 },
      version: 2,
    });
    expect(index.hasRevision('k', { main: 1, sub: 0 })).toBe(false);
    expect(index.hasRevision('k', { main: 2, sub: 0 })).toBe(true);
  });

  it('drops a deleted key at compaction and reuses its packed slot', () => {
    const index = new TreeIndex();
    index.put('a', { main: 1, sub: 0 });
    index.put('b', { main: 1, sub: 1 });
    index.tombstone('a', { main: 2, sub: 0 });
    expect(index.count({ kind: 'range', start: '', end: undefined }, 1)).toBe(2);
    expect(index.count({ kind: 'range', start: '', end: undefined }, 2)).toBe(1);
    index.compact(2);
    expect(index.size).toBe(1);
    expect(index.aliveAt('a', 2)).toBe(false);
    index.put('a', { main: 3, sub: 0 });
    expect(index.get('a', 3)).toEqual({
      modified: { main: 3, sub: 0 },
      created: { main: 3, sub: 0 },
      version: 1,
    });
    expect(index.packedCount).toBe(2);
  });

  it('keeps a key put once and then deleted packed with its tombstone, until compaction or a new put', () => {
    const index = new TreeIndex();
    index.put('a', { main: 1, sub: 0 });
    index.put('b', { main: 1, sub: 1 });
    index.put('c', { main: 1, sub: 2 });
    index.tombstone('a', { main: 2, sub: 0 });
    index.tombstone('c', { main: 2, sub: 1 });
    expect([index.packedCount, index.packedDeletedCount]).toEqual([1, 2]);
    expect(index.get('a', 1)).toEqual({
      modified: { main: 1, sub: 0 },
      created: { main: 1, sub: 0 },
      version: 1,
    });
    expect(index.get('a', 2)).toBeUndefined();
    expect(index.count({ kind: 'range', start: '', end: undefined }, 2)).toBe(1);
    expect(index.hasRevision('a', { main: 2, sub: 0 })).toBe(true);
    expect(() => index.tombstone('a', { main: 3, sub: 0 })).toThrow('tombstone on deleted key');
    index.put('c', { main: 3, sub: 0 }); // a new generation: c has more history now
    expect([index.packedCount, index.packedDeletedCount]).toEqual([1, 1]);
    expect(index.get('c', 3)).toEqual({
      modified: { main: 3, sub: 0 },
      created: { main: 3, sub: 0 },
      version: 1,
    });
    expect(index.get('c', 1)?.version).toBe(1);
    index.compact(1); // before the tombstones: nothing leaves
    expect([index.size, index.packedDeletedCount]).toEqual([3, 1]);
    index.compact(2);
    expect([index.size, index.packedCount, index.packedDeletedCount]).toEqual([2, 2, 0]);
    expect(index.aliveAt('a', 2)).toBe(false);
    expect(index.hasRevision('a', { main: 1, sub: 0 })).toBe(false);
  });

  it('keeps keys in byte order whatever order they arrive in, through table growth', () => {
    const index = new TreeIndex();
    const r = prng(7);
    const keys = Array.from({ length: 3000 }, (_, i) => `k/${String(i).padStart(5, '0')}`);
    const shuffled = [...keys];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = r.int(i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    shuffled.forEach((key, i) => index.put(key, { main: i + 1, sub: 0 }));
    const seen: string[] = [];
    index.visit({ kind: 'range', start: 'k/', end: 'k0' }, shuffled.length, (key) => {
      seen.push(key);
    });
    expect(seen).toEqual(keys);
    expect(index.count({ kind: 'range', start: 'k/01000', end: 'k/02000' }, shuffled.length)).toBe(1000);
    // At revision 1500 only the first 1500 keys put exist.
    expect(index.count({ kind: 'range', start: '', end: undefined }, 1500)).toBe(1500);
    // 3,000 keys do not fit one block: the walks above crossed blocks.
    expect(index.blockCount).toBeGreaterThan(2);
  });

  it('fills blocks to the brim when keys arrive in order, and splits in halves when they do not', () => {
    const inOrder = new TreeIndex(100);
    for (let i = 0; i < 1000; i++) inOrder.put(`k/${String(i).padStart(4, '0')}`, { main: i + 1, sub: 0 });
    expect(inOrder.blockCount).toBe(10);
    const reversed = new TreeIndex(100);
    for (let i = 999; i >= 0; i--)
      reversed.put(`k/${String(i).padStart(4, '0')}`, { main: 1000 - i, sub: 0 });
    // Half-full blocks after each split: between 10 and 20 of them.
    expect(reversed.blockCount).toBeGreaterThan(10);
    expect(reversed.blockCount).toBeLessThanOrEqual(20);
    for (const index of [inOrder, reversed]) {
      expect(index.size).toBe(1000);
      expect(index.count({ kind: 'range', start: 'k/0250', end: 'k/0750' }, 1000)).toBe(500);
      expect(index.aliveAt('k/0999', 1000)).toBe(true);
      expect(index.get('k/1000', 1000)).toBeUndefined();
    }
  });
});
