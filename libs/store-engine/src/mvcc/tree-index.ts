/*
 * The in-memory index from key to its history (etcd's index.go, a B-tree there). Here: the keys
 * in a sorted array, and beside it, at the same position, each key's history. Point lookups are
 * a binary search (20 string comparisons at a million keys), ranges a slice of the array; keys
 * enter on first put and leave only when compaction empties their history, so inserts are rare
 * next to reads.
 *
 * Memory is what shapes this: most keys, most of the time, are alive with a single revision in
 * the index (put once, or compacted). Those are held packed in a SingleRevisionTable, the entry
 * beside the key being the table slot (a small integer, no object); only a key with more history
 * (a second put, a delete) gets a KeyIndex, and goes back to packed form when compaction leaves
 * it one revision again. No Map either: with the sorted array it would only duplicate the keys'
 * order at ~50 bytes per key.
 */
import type { KeyInterval } from '../bytes';
import { KeyIndex, type KeyAtRevision } from './key-index';
import type { Revision } from './revision';
import { SingleRevisionTable } from './single-revision-table';

/** A key's history: a SingleRevisionTable slot, or a KeyIndex when it has more than one revision. */
type Entry = number | KeyIndex;

/**
 * Called for each key alive at the read revision, in key order, with its visible revision;
 * returning false stops the walk.
 */
export type IndexVisitor = (key: string, modMain: number, modSub: number) => boolean | void;

export class TreeIndex {
  private keys: string[] = [];
  private entries: Entry[] = [];
  private readonly table = new SingleRevisionTable();

  get size(): number {
    return this.keys.length;
  }

  /** The key's state at main revision `atRev`, or undefined when it did not exist then. */
  get(key: string, atRev: number): KeyAtRevision | undefined {
    const i = this.find(key);
    if (i < 0) return undefined;
    const e = this.entries[i];
    if (typeof e !== 'number') return e.get(atRev);
    const t = this.table;
    if (t.modMain(e) > atRev) return undefined;
    return {
      modified: { main: t.modMain(e), sub: t.modSub(e) },
      created: { main: t.createdMain(e), sub: t.createdSub(e) },
      version: t.version(e),
    };
  }

  aliveAt(key: string, atRev: number): boolean {
    const i = this.find(key);
    return i >= 0 && this.entryAliveAt(this.entries[i], atRev);
  }

  /** Whether the key's history still holds this revision (the compactor must keep it). */
  hasRevision(key: string, rev: Revision): boolean {
    const i = this.find(key);
    if (i < 0) return false;
    const e = this.entries[i];
    if (typeof e !== 'number') return e.hasRevision(rev);
    return this.table.modMain(e) === rev.main && this.table.modSub(e) === rev.sub;
  }

  put(key: string, rev: Revision): void {
    const i = this.lowerBound(key);
    if (i < this.keys.length && this.keys[i] === key) this.historyAt(i).put(rev);
    else this.insert(i, key, this.table.allocate(rev.main, rev.sub, rev.main, rev.sub, 1));
  }

  /** Replays a stored revision at restart (see KeyIndex.restorePut). */
  restorePut(key: string, rev: Revision, created: Revision, version: number): void {
    const i = this.lowerBound(key);
    if (i < this.keys.length && this.keys[i] === key) this.historyAt(i).restorePut(rev, created, version);
    else this.insert(i, key, this.table.allocate(rev.main, rev.sub, created.main, created.sub, version));
  }

  tombstone(key: string, rev: Revision): void {
    const i = this.find(key);
    if (i < 0) throw new Error(`mvcc: tombstone on unknown key`);
    this.historyAt(i).tombstone(rev);
  }

  /** Keys in the interval alive at `atRev`: a loop over the array, no object per key. */
  count(interval: KeyInterval, atRev: number): number {
    if (interval.kind === 'single') return this.aliveAt(interval.key, atRev) ? 1 : 0;
    const entries = this.entries;
    const table = this.table;
    const end = this.upperIndex(interval);
    let n = 0;
    for (let i = this.lowerBound(interval.start); i < end; i++) {
      const e = entries[i];
      if (typeof e === 'number' ? table.modMain(e) <= atRev : e.aliveAt(atRev)) n++;
    }
    return n;
  }

  /** Walks the keys in the interval alive at `atRev`, in key order (see IndexVisitor). */
  visit(interval: KeyInterval, atRev: number, visitor: IndexVisitor): void {
    if (interval.kind === 'single') {
      const at = this.get(interval.key, atRev);
      if (at) visitor(interval.key, at.modified.main, at.modified.sub);
      return;
    }
    const entries = this.entries;
    const table = this.table;
    const end = this.upperIndex(interval);
    for (let i = this.lowerBound(interval.start); i < end; i++) {
      const e = entries[i];
      let main: number;
      let sub: number;
      if (typeof e === 'number') {
        main = table.modMain(e);
        if (main > atRev) continue;
        sub = table.modSub(e);
      } else {
        const at = e.get(atRev);
        if (!at) continue;
        main = at.modified.main;
        sub = at.modified.sub;
      }
      if (visitor(this.keys[i], main, sub) === false) return;
    }
  }

  /**
   * Drops every key's history before `atRev` (KeyIndex.compact): keys left with nothing leave
   * the index, keys left with one revision go back to packed form. A packed key has nothing to
   * drop: its one revision is what a read at atRev sees.
   */
  compact(atRev: number): void {
    let removed = 0;
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i];
      if (typeof e === 'number') continue;
      e.compact(atRev);
      if (e.isEmpty) {
        removed++;
        continue;
      }
      const single = e.singleRevision();
      if (single) this.entries[i] = this.pack(single);
    }
    if (removed === 0) return;
    const keys: string[] = [];
    const entries: Entry[] = [];
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i];
      if (typeof e !== 'number' && e.isEmpty) continue;
      keys.push(this.keys[i]);
      entries.push(e);
    }
    this.keys = keys;
    this.entries = entries;
  }

  /** How many keys are held packed (for tests and diagnostics). */
  get packedCount(): number {
    return this.table.size;
  }

  /** The KeyIndex at position i, unpacking a packed entry first (the key is about to get more history). */
  private historyAt(i: number): KeyIndex {
    const e = this.entries[i];
    if (typeof e !== 'number') return e;
    const t = this.table;
    const ki = KeyIndex.single(
      this.keys[i],
      { main: t.modMain(e), sub: t.modSub(e) },
      { main: t.createdMain(e), sub: t.createdSub(e) },
      t.version(e),
    );
    t.release(e);
    this.entries[i] = ki;
    return ki;
  }

  private pack(at: KeyAtRevision): number {
    return this.table.allocate(
      at.modified.main,
      at.modified.sub,
      at.created.main,
      at.created.sub,
      at.version,
    );
  }

  private entryAliveAt(e: Entry, atRev: number): boolean {
    return typeof e === 'number' ? this.table.modMain(e) <= atRev : e.aliveAt(atRev);
  }

  private insert(i: number, key: string, entry: Entry): void {
    // Appending (keys arriving in order, as in a bulk load) is push's amortised growth.
    if (i === this.keys.length) {
      this.keys.push(key);
      this.entries.push(entry);
    } else {
      this.keys.splice(i, 0, key);
      this.entries.splice(i, 0, entry);
    }
  }

  /** Position of the key, or -1. */
  private find(key: string): number {
    const i = this.lowerBound(key);
    return i < this.keys.length && this.keys[i] === key ? i : -1;
  }

  /** Position just past the interval's last key. */
  private upperIndex(interval: KeyInterval & { kind: 'range' }): number {
    return interval.end === undefined ? this.keys.length : this.lowerBound(interval.end);
  }

  /** First position whose key is >= key (latin1 strings: `<` is byte order). */
  private lowerBound(key: string): number {
    const keys = this.keys;
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid] < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
