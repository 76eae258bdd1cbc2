/*
 * Packed storage for the common state of a key in the index: alive, one generation, and only
 * one revision left in it (a key put once, or any live key after a compaction). A KeyIndex for
 * that state costs ~400 bytes of heap (the object, a generations array, a generation, a revs
 * array with V8's 17-slot growth, two or three Revision objects); here it is one slot in typed
 * arrays, 32 bytes, and no object for the garbage collector to trace. With a million keys that
 * is the difference between ~430 MB and ~30 MB per member.
 *
 * A slot holds the revision (main, sub), the generation's creation revision (main, sub) and the
 * key's version. A table made `withTombstone` holds the same for a key put once and then
 * deleted, plus the tombstone's revision (main, sub): what a large delete leaves until the next
 * compaction. Slots are reused through a free list; the caller owns the slot numbers.
 */

const INITIAL_SLOTS = 1024;

export class SingleRevisionTable {
  /** Per slot in `numbers`: modified main, created main, version (doubles: they may pass 2^32), tombstone main. */
  private readonly numberStride: number;
  /** Per slot in `subs`: modified sub, created sub (changes within one transaction: < 2^32), tombstone sub. */
  private readonly subStride: number;
  private numbers: Float64Array;
  private subs: Uint32Array;
  private capacity = INITIAL_SLOTS;
  private used = 0;
  private readonly free: number[] = [];

  constructor(withTombstone = false) {
    this.numberStride = withTombstone ? 4 : 3;
    this.subStride = withTombstone ? 3 : 2;
    this.numbers = new Float64Array(INITIAL_SLOTS * this.numberStride);
    this.subs = new Uint32Array(INITIAL_SLOTS * this.subStride);
  }

  /** Stores a key's single revision (and, in a table made `withTombstone`, its tombstone's); returns its slot. */
  allocate(
    modMain: number,
    modSub: number,
    createdMain: number,
    createdSub: number,
    version: number,
    tombMain = 0,
    tombSub = 0,
  ): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      if (this.used === this.capacity) this.grow();
      slot = this.used++;
    }
    const n = slot * this.numberStride;
    this.numbers[n] = modMain;
    this.numbers[n + 1] = createdMain;
    this.numbers[n + 2] = version;
    const s = slot * this.subStride;
    this.subs[s] = modSub;
    this.subs[s + 1] = createdSub;
    if (this.numberStride === 4) {
      this.numbers[n + 3] = tombMain;
      this.subs[s + 2] = tombSub;
    }
    return slot;
  }

  release(slot: number): void {
    this.free.push(slot);
  }

  modMain(slot: number): number {
    return this.numbers[slot * this.numberStride];
  }

  modSub(slot: number): number {
    return this.subs[slot * this.subStride];
  }

  createdMain(slot: number): number {
    return this.numbers[slot * this.numberStride + 1];
  }

  createdSub(slot: number): number {
    return this.subs[slot * this.subStride + 1];
  }

  version(slot: number): number {
    return this.numbers[slot * this.numberStride + 2];
  }

  /** The tombstone's main revision (a table made `withTombstone`). */
  tombMain(slot: number): number {
    return this.numbers[slot * this.numberStride + 3];
  }

  tombSub(slot: number): number {
    return this.subs[slot * this.subStride + 2];
  }

  /** Slots in use (allocated and not released). */
  get size(): number {
    return this.used - this.free.length;
  }

  private grow(): void {
    // x1.5 rather than x2: at a million keys the slack is 16 MB instead of 32 MB.
    const capacity = Math.ceil(this.capacity * 1.5);
    const numbers = new Float64Array(capacity * this.numberStride);
    numbers.set(this.numbers);
    const subs = new Uint32Array(capacity * this.subStride);
    subs.set(this.subs);
    this.numbers = numbers;
    this.subs = subs;
    this.capacity = capacity;
  }
}
