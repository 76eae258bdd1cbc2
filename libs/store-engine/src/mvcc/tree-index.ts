/*
 * The in-memory index from key to its history (etcd's index.go, a B-tree there). Here: the keys
 * in sorted blocks of at most MAX_BLOCK_KEYS (one level of a B-tree: the blocks' first keys are
 * searched, then the block), and beside each key, at the same position, its history. Point
 * lookups are two binary searches; ranges walk the blocks in order. A new key costs a splice
 * within its block, not a shift of the whole index: with one flat array, every put of a new key
 * moved half the index (~50 µs at 50,000 keys, about 1 ms at a million).
 *
 * Memory is what shapes this: most keys, most of the time, are alive with a single revision in
 * the index (put once, or compacted). Those are held packed in a SingleRevisionTable, the entry
 * beside the key being the table slot (a small integer, no object); only a key with more history
 * (a second put) gets a KeyIndex, and goes back to packed form when compaction leaves it one
 * revision again. A key put once and then deleted is packed too, with its tombstone, in a
 * second table (a negative entry): deleting a prefix of 100,000 such keys would otherwise make
 * 100,000 KeyIndexes of two generations each, about 800,000 objects for the collector, which
 * compaction drops soon after. No Map either: with the sorted blocks it would only duplicate
 * the keys' order at ~50 bytes per key.
 */
import type { KeyInterval } from '../bytes';
import { KeyIndex, type KeyAtRevision } from './key-index';
import type { Revision } from './revision';
import { SingleRevisionTable } from './single-revision-table';

/**
 * A key's history: a slot of the live table (>= 0: one live revision), a slot of the deleted
 * table (< 0, slot -1 - entry: one revision, then its tombstone), or a KeyIndex for any other.
 */
type Entry = number | KeyIndex;

/** Marks, during compact(), a packed deleted key that compaction drops. */
const DROPPED = new KeyIndex('');

/** A block splits in two when it grows past this; splicing within it is a short move. */
export const MAX_BLOCK_KEYS = 1024;

/** Keys in order, and beside each its history. */
interface Block {
  keys: string[];
  entries: Entry[];
}

/**
 * Called for each key alive at the read revision, in key order, with its visible revision;
 * returning false stops the walk.
 */
export type IndexVisitor = (key: string, modMain: number, modSub: number) => boolean | void;

export class TreeIndex {
  /** Non-empty blocks in key order (empty only while the index is). */
  private blocks: Block[] = [];
  /** firsts[b] is blocks[b].keys[0]: where a key's block is found. */
  private firsts: string[] = [];
  private keyCount = 0;
  private readonly table = new SingleRevisionTable();
  /** Keys put once and then deleted: their revision and their tombstone's. */
  private readonly deleted = new SingleRevisionTable(true);

  /** `maxBlockKeys` is for tests (small blocks split often). */
  constructor(private readonly maxBlockKeys = MAX_BLOCK_KEYS) {}

  get size(): number {
    return this.keyCount;
  }

  /** The key's state at main revision `atRev`, or undefined when it did not exist then. */
  get(key: string, atRev: number): KeyAtRevision | undefined {
    let e = this.entryOf(key);
    if (e === undefined) return undefined;
    if (typeof e !== 'number') return e.get(atRev);
    if (!this.entryAliveAt(e, atRev)) return undefined;
    const t = e >= 0 ? this.table : this.deleted;
    if (e < 0) e = -1 - e;
    return {
      modified: { main: t.modMain(e), sub: t.modSub(e) },
      created: { main: t.createdMain(e), sub: t.createdSub(e) },
      version: t.version(e),
    };
  }

  aliveAt(key: string, atRev: number): boolean {
    const e = this.entryOf(key);
    return e !== undefined && this.entryAliveAt(e, atRev);
  }

  /** Whether the key's history still holds this revision (the compactor must keep it). */
  hasRevision(key: string, rev: Revision): boolean {
    const e = this.entryOf(key);
    if (e === undefined) return false;
    if (typeof e !== 'number') return e.hasRevision(rev);
    if (e >= 0) return this.table.modMain(e) === rev.main && this.table.modSub(e) === rev.sub;
    const d = this.deleted;
    const slot = -1 - e;
    return (
      (d.modMain(slot) === rev.main && d.modSub(slot) === rev.sub) ||
      (d.tombMain(slot) === rev.main && d.tombSub(slot) === rev.sub)
    );
  }

  put(key: string, rev: Revision): void {
    const b = this.blockFor(key);
    const i = b < 0 ? 0 : lowerBound(this.blocks[b].keys, key);
    if (b >= 0 && this.blocks[b].keys[i] === key) this.historyAt(this.blocks[b], i).put(rev);
    else this.insert(b, i, key, this.table.allocate(rev.main, rev.sub, rev.main, rev.sub, 1));
  }

  /** Replays a stored revision at restart (see KeyIndex.restorePut). */
  restorePut(key: string, rev: Revision, created: Revision, version: number): void {
    const b = this.blockFor(key);
    const i = b < 0 ? 0 : lowerBound(this.blocks[b].keys, key);
    if (b >= 0 && this.blocks[b].keys[i] === key) {
      this.historyAt(this.blocks[b], i).restorePut(rev, created, version);
    } else {
      this.insert(b, i, key, this.table.allocate(rev.main, rev.sub, created.main, created.sub, version));
    }
  }

  tombstone(key: string, rev: Revision): void {
    const b = this.blockFor(key);
    const i = b < 0 ? -1 : lowerBound(this.blocks[b].keys, key);
    if (b < 0 || this.blocks[b].keys[i] !== key) throw new Error(`mvcc: tombstone on unknown key`);
    const block = this.blocks[b];
    const e = block.entries[i];
    const t = this.table;
    if (typeof e === 'number' && e >= 0 && isAfter(rev, t.modMain(e), t.modSub(e))) {
      // Put once, now deleted: stays packed, with its tombstone.
      const slot = this.deleted.allocate(
        t.modMain(e),
        t.modSub(e),
        t.createdMain(e),
        t.createdSub(e),
        t.version(e),
        rev.main,
        rev.sub,
      );
      t.release(e);
      block.entries[i] = -1 - slot;
      return;
    }
    if (typeof e === 'number' && e < 0) throw new Error(`mvcc: tombstone on deleted key ${key}`);
    // More history (or a caller bug, which KeyIndex reports).
    this.historyAt(block, i).tombstone(rev);
  }

  /** Keys in the interval alive at `atRev`: a loop over the blocks, no object per key. */
  count(interval: KeyInterval, atRev: number): number {
    if (interval.kind === 'single') return this.aliveAt(interval.key, atRev) ? 1 : 0;
    const table = this.table;
    let n = 0;
    this.walk(interval, (entries, from, to) => {
      for (let i = from; i < to; i++) {
        const e = entries[i];
        if (typeof e === 'number' && e >= 0 ? table.modMain(e) <= atRev : this.entryAliveAt(e, atRev)) n++;
      }
      return true;
    });
    return n;
  }

  /** Walks the keys in the interval alive at `atRev`, in key order (see IndexVisitor). */
  visit(interval: KeyInterval, atRev: number, visitor: IndexVisitor): void {
    if (interval.kind === 'single') {
      const at = this.get(interval.key, atRev);
      if (at) visitor(interval.key, at.modified.main, at.modified.sub);
      return;
    }
    const table = this.table;
    this.walk(interval, (entries, from, to, keys) => {
      for (let i = from; i < to; i++) {
        const e = entries[i];
        let main: number;
        let sub: number;
        if (typeof e === 'number' && e >= 0) {
          main = table.modMain(e);
          if (main > atRev) continue;
          sub = table.modSub(e);
        } else if (typeof e === 'number') {
          if (!this.entryAliveAt(e, atRev)) continue;
          main = this.deleted.modMain(-1 - e);
          sub = this.deleted.modSub(-1 - e);
        } else {
          const at = e.get(atRev);
          if (!at) continue;
          main = at.modified.main;
          sub = at.modified.sub;
        }
        if (visitor(keys[i], main, sub) === false) return false;
      }
      return true;
    });
  }

  /**
   * Drops every key's history before `atRev` (KeyIndex.compact): keys left with nothing leave
   * the index, keys left with one revision go back to packed form. A packed live key has nothing
   * to drop: its one revision is what a read at atRev sees. A packed deleted key leaves when its
   * tombstone is at or before atRev, and is kept whole otherwise.
   */
  compact(atRev: number): void {
    let removed = 0;
    for (const block of this.blocks) {
      const entries = block.entries;
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i];
        if (typeof e === 'number') {
          if (e < 0 && this.deleted.tombMain(-1 - e) <= atRev) {
            this.deleted.release(-1 - e);
            entries[i] = DROPPED;
            removed++;
          }
          continue;
        }
        e.compact(atRev);
        if (e.isEmpty) {
          removed++;
          continue;
        }
        const single = e.singleRevision();
        if (single) entries[i] = this.pack(single);
      }
    }
    if (removed === 0) return;
    // Rebuilt in half-full blocks: room for new keys without an early split.
    const half = Math.max(1, this.maxBlockKeys >> 1);
    const blocks: Block[] = [];
    let current: Block = { keys: [], entries: [] };
    for (const block of this.blocks) {
      for (let i = 0; i < block.entries.length; i++) {
        const e = block.entries[i];
        if (typeof e !== 'number' && e.isEmpty) continue;
        current.keys.push(block.keys[i]);
        current.entries.push(e);
        if (current.keys.length === half) {
          blocks.push(current);
          current = { keys: [], entries: [] };
        }
      }
    }
    if (current.keys.length > 0) blocks.push(current);
    this.blocks = blocks;
    this.firsts = blocks.map((b) => b.keys[0]);
    this.keyCount -= removed;
  }

  /** How many live keys are held packed (for tests and diagnostics). */
  get packedCount(): number {
    return this.table.size;
  }

  /** How many deleted keys are held packed with their tombstone (for tests and diagnostics). */
  get packedDeletedCount(): number {
    return this.deleted.size;
  }

  /** How many blocks hold the keys (for tests and diagnostics). */
  get blockCount(): number {
    return this.blocks.length;
  }

  /** The KeyIndex at position i of a block, unpacking a packed entry first (the key is about to get more history). */
  private historyAt(block: Block, i: number): KeyIndex {
    const e = block.entries[i];
    if (typeof e !== 'number') return e;
    if (e < 0) {
      const d = this.deleted;
      const slot = -1 - e;
      const ki = KeyIndex.single(
        block.keys[i],
        { main: d.modMain(slot), sub: d.modSub(slot) },
        { main: d.createdMain(slot), sub: d.createdSub(slot) },
        d.version(slot),
      );
      ki.tombstone({ main: d.tombMain(slot), sub: d.tombSub(slot) });
      d.release(slot);
      block.entries[i] = ki;
      return ki;
    }
    const t = this.table;
    const ki = KeyIndex.single(
      block.keys[i],
      { main: t.modMain(e), sub: t.modSub(e) },
      { main: t.createdMain(e), sub: t.createdSub(e) },
      t.version(e),
    );
    t.release(e);
    block.entries[i] = ki;
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
    if (typeof e !== 'number') return e.aliveAt(atRev);
    if (e >= 0) return this.table.modMain(e) <= atRev;
    return this.deleted.modMain(-1 - e) <= atRev && atRev < this.deleted.tombMain(-1 - e);
  }

  /** The key's entry, or undefined when the index does not hold the key. */
  private entryOf(key: string): Entry | undefined {
    const b = this.blockFor(key);
    if (b < 0) return undefined;
    const block = this.blocks[b];
    const i = lowerBound(block.keys, key);
    return block.keys[i] === key ? block.entries[i] : undefined;
  }

  /**
   * The block a key belongs in: the last whose first key is <= key, or the first block for a
   * key below every other; -1 when there are no blocks.
   */
  private blockFor(key: string): number {
    const firsts = this.firsts;
    if (firsts.length === 0) return -1;
    const b = upperBound(firsts, key) - 1;
    return b < 0 ? 0 : b;
  }

  /** Inserts a new key at position i of block b (b = -1: the index is empty). */
  private insert(b: number, i: number, key: string, entry: Entry): void {
    this.keyCount++;
    if (b < 0) {
      this.blocks.push({ keys: [key], entries: [entry] });
      this.firsts.push(key);
      return;
    }
    const block = this.blocks[b];
    if (i === block.keys.length) {
      block.keys.push(key);
      block.entries.push(entry);
    } else {
      block.keys.splice(i, 0, key);
      block.entries.splice(i, 0, entry);
    }
    if (i === 0) this.firsts[b] = key;
    if (block.keys.length > this.maxBlockKeys) this.split(b, i === block.keys.length - 1);
  }

  /**
   * Splits an overfull block in two halves, or, when keys arrive in order at the end of the
   * last block (a bulk load), starts a new block with the newest key and leaves this one full.
   */
  private split(b: number, appended: boolean): void {
    const block = this.blocks[b];
    const at = appended && b === this.blocks.length - 1 ? block.keys.length - 1 : block.keys.length >> 1;
    const right: Block = { keys: block.keys.slice(at), entries: block.entries.slice(at) };
    block.keys = block.keys.slice(0, at);
    block.entries = block.entries.slice(0, at);
    this.blocks.splice(b + 1, 0, right);
    this.firsts.splice(b + 1, 0, right.keys[0]);
  }

  /**
   * Calls `each` with the runs of positions of a range interval, block by block in key order,
   * until it returns false.
   */
  private walk(
    interval: KeyInterval & { kind: 'range' },
    each: (entries: Entry[], from: number, to: number, keys: string[]) => boolean,
  ): void {
    const blocks = this.blocks;
    if (blocks.length === 0) return;
    let b = this.blockFor(interval.start);
    let from = lowerBound(blocks[b].keys, interval.start);
    const end = interval.end;
    for (; b < blocks.length; b++, from = 0) {
      const { keys, entries } = blocks[b];
      // The interval ends in this block when its end key is below the next block's first key.
      const last = end !== undefined && (b + 1 === blocks.length || this.firsts[b + 1] >= end);
      const to = last ? lowerBound(keys, end) : keys.length;
      if (from < to && !each(entries, from, to, keys)) return;
      if (last) return;
    }
  }
}

/** First position whose key is >= key (latin1 strings: `<` is byte order). */
function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First position whose key is > key. */
function upperBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Whether `rev` comes after the revision (main, sub). */
function isAfter(rev: Revision, main: number, sub: number): boolean {
  return rev.main > main || (rev.main === main && rev.sub > sub);
}
