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
 * (a second put, a delete) gets a KeyIndex, and goes back to packed form when compaction leaves
 * it one revision again. No Map either: with the sorted blocks it would only duplicate the keys'
 * order at ~50 bytes per key.
 */
import type { KeyInterval } from '../bytes';
import { KeyIndex, type KeyAtRevision } from './key-index';
import type { Revision } from './revision';
import { SingleRevisionTable } from './single-revision-table';

/** A key's history: a SingleRevisionTable slot, or a KeyIndex when it has more than one revision. */
type Entry = number | KeyIndex;

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

  /** `maxBlockKeys` is for tests (small blocks split often). */
  constructor(private readonly maxBlockKeys = MAX_BLOCK_KEYS) {}

  get size(): number {
    return this.keyCount;
  }

  /** The key's state at main revision `atRev`, or undefined when it did not exist then. */
  get(key: string, atRev: number): KeyAtRevision | undefined {
    const e = this.entryOf(key);
    if (e === undefined) return undefined;
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
    const e = this.entryOf(key);
    return e !== undefined && this.entryAliveAt(e, atRev);
  }

  /** Whether the key's history still holds this revision (the compactor must keep it). */
  hasRevision(key: string, rev: Revision): boolean {
    const e = this.entryOf(key);
    if (e === undefined) return false;
    if (typeof e !== 'number') return e.hasRevision(rev);
    return this.table.modMain(e) === rev.main && this.table.modSub(e) === rev.sub;
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
    this.historyAt(this.blocks[b], i).tombstone(rev);
  }

  /** Keys in the interval alive at `atRev`: a loop over the blocks, no object per key. */
  count(interval: KeyInterval, atRev: number): number {
    if (interval.kind === 'single') return this.aliveAt(interval.key, atRev) ? 1 : 0;
    const table = this.table;
    let n = 0;
    this.walk(interval, (entries, from, to) => {
      for (let i = from; i < to; i++) {
        const e = entries[i];
        if (typeof e === 'number' ? table.modMain(e) <= atRev : e.aliveAt(atRev)) n++;
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
        if (visitor(keys[i], main, sub) === false) return false;
      }
      return true;
    });
  }

  /**
   * Drops every key's history before `atRev` (KeyIndex.compact): keys left with nothing leave
   * the index, keys left with one revision go back to packed form. A packed key has nothing to
   * drop: its one revision is what a read at atRev sees.
   */
  compact(atRev: number): void {
    let removed = 0;
    for (const block of this.blocks) {
      const entries = block.entries;
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i];
        if (typeof e === 'number') continue;
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

  /** How many keys are held packed (for tests and diagnostics). */
  get packedCount(): number {
    return this.table.size;
  }

  /** How many blocks hold the keys (for tests and diagnostics). */
  get blockCount(): number {
    return this.blocks.length;
  }

  /** The KeyIndex at position i of a block, unpacking a packed entry first (the key is about to get more history). */
  private historyAt(block: Block, i: number): KeyIndex {
    const e = block.entries[i];
    if (typeof e !== 'number') return e;
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
    return typeof e === 'number' ? this.table.modMain(e) <= atRev : e.aliveAt(atRev);
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
