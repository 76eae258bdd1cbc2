/*
 * Packed storage for the common state of a key in the index: alive, one generation, and only
 * one revision left in it (a key put once, or any live key after a compaction). A KeyIndex for
 * that state costs ~400 bytes of heap (the object, a generations array, a generation, a revs
 * array with V8's 17-slot growth, two or three Revision objects); here it is one slot in typed
 * arrays, 32 bytes, and no object for the garbage collector to trace. With a million keys that
 * is the difference between ~430 MB and ~30 MB per member.
 *
 * A slot holds the revision (main, sub), the generation's creation revision (main, sub) and the
 * key's version. Slots are reused through a free list; the caller owns the slot numbers.
 */

const INITIAL_SLOTS = 1024;
/** Per slot in `numbers`: modified main, created main, version (doubles: they may pass 2^32). */
const NUMBER_STRIDE = 3;
/** Per slot in `subs`: modified sub, created sub (changes within one transaction: < 2^32). */
const SUB_STRIDE = 2;

export class SingleRevisionTable {
  private numbers = new Float64Array(INITIAL_SLOTS * NUMBER_STRIDE);
  private subs = new Uint32Array(INITIAL_SLOTS * SUB_STRIDE);
  private capacity = INITIAL_SLOTS;
  private used = 0;
  private readonly free: number[] = [];

  /** Stores a key's single revision; returns its slot. */
  allocate(
    modMain: number,
    modSub: number,
    createdMain: number,
    createdSub: number,
    version: number,
  ): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      if (this.used === this.capacity) this.grow();
      slot = this.used++;
    }
    const n = slot * NUMBER_STRIDE;
    this.numbers[n] = modMain;
    this.numbers[n + 1] = createdMain;
    this.numbers[n + 2] = version;
    const s = slot * SUB_STRIDE;
    this.subs[s] = modSub;
    this.subs[s + 1] = createdSub;
    return slot;
  }

  release(slot: number): void {
    this.free.push(slot);
  }

  modMain(slot: number): number {
    return this.numbers[slot * NUMBER_STRIDE];
  }

  modSub(slot: number): number {
    return this.subs[slot * SUB_STRIDE];
  }

  createdMain(slot: number): number {
    return this.numbers[slot * NUMBER_STRIDE + 1];
  }

  createdSub(slot: number): number {
    return this.subs[slot * SUB_STRIDE + 1];
  }

  version(slot: number): number {
    return this.numbers[slot * NUMBER_STRIDE + 2];
  }

  /** Slots in use (allocated and not released). */
  get size(): number {
    return this.used - this.free.length;
  }

  private grow(): void {
    // x1.5 rather than x2: at a million keys the slack is 16 MB instead of 32 MB.
    const capacity = Math.ceil(this.capacity * 1.5);
    const numbers = new Float64Array(capacity * NUMBER_STRIDE);
    numbers.set(this.numbers);
    const subs = new Uint32Array(capacity * SUB_STRIDE);
    subs.set(this.subs);
    this.numbers = numbers;
    this.subs = subs;
    this.capacity = capacity;
  }
}
