import { Entry, EntryType } from './raftpb';
import { ENTRY_HEADER_BYTES } from './util';

/** Data is copied into chunks of this size; an entry larger than a quarter of it gets its own. */
export const ENTRY_CHUNK_BYTES = 1 << 20;
const INITIAL_CAPACITY = 1024;
const EMPTY = new Uint8Array(0);

/**
 * A run of consecutive log entries kept by column: terms and types in typed arrays, each
 * entry's data copied into large append-only byte chunks. MemoryStorage holds every entry
 * since the last snapshot (up to --snapshot-count, 100,000 by default): kept as objects, each
 * was an object, a view and usually an ArrayBuffer of its own (a socket read's, on a
 * follower), which every young-generation collection copied twice on the way to the old
 * generation and every mark-compact visited again. Here an entry is a few numbers and bytes
 * in memory that V8 neither copies nor scans; `entry(i)` builds a short-lived Entry on demand.
 *
 * Bytes are never overwritten: a view handed out stays valid for as long as it is held, and a
 * chunk is freed by the collector once no position and no view refers to it.
 */
export class EntryColumns {
  /** Index of position 0. */
  private first: number;
  private count = 0;
  private terms = new Float64Array(INITIAL_CAPACITY);
  private types = new Uint8Array(INITIAL_CAPACITY);
  private starts = new Uint32Array(INITIAL_CAPACITY);
  private sizes = new Uint32Array(INITIAL_CAPACITY);
  /** The chunk holding each position's data (undefined for empty data). */
  private chunks: Array<Uint8Array | undefined> = [];
  private chunk: Uint8Array | undefined;
  private chunkUsed = 0;

  constructor(
    firstIndex: number,
    private readonly chunkBytes = ENTRY_CHUNK_BYTES,
  ) {
    this.first = firstIndex;
  }

  get firstIndex(): number {
    return this.first;
  }

  get length(): number {
    return this.count;
  }

  /** Index of the last entry (firstIndex - 1 when empty). */
  get lastIndex(): number {
    return this.first + this.count - 1;
  }

  term(index: number): number {
    return this.terms[index - this.first];
  }

  /** The stored size of entry `index` as entrySizeBytes counts it. */
  sizeBytes(index: number): number {
    return this.sizes[index - this.first] + ENTRY_HEADER_BYTES;
  }

  /** A new Entry object for `index` (its data a view into the chunk, not a copy). */
  entry(index: number): Entry {
    const p = index - this.first;
    const size = this.sizes[p];
    const start = this.starts[p];
    return {
      term: this.terms[p],
      index,
      type: this.types[p] as EntryType,
      data: size === 0 ? EMPTY : this.chunks[p]!.subarray(start, start + size),
    };
  }

  /** Entries [lo, hi) as new objects. */
  slice(lo: number, hi: number): Entry[] {
    const out = new Array<Entry>(hi - lo);
    for (let i = lo; i < hi; i++) out[i - lo] = this.entry(i);
    return out;
  }

  /** Appends `e`, which must have index lastIndex + 1; its data is copied. */
  push(e: Entry): void {
    if (e.index !== this.first + this.count) {
      throw new RangeError(`entry ${e.index} does not follow ${this.lastIndex}`);
    }
    const p = this.count;
    if (p === this.terms.length) this.grow();
    this.terms[p] = e.term;
    this.types[p] = e.type;
    const size = e.data.byteLength;
    this.sizes[p] = size;
    if (size === 0) {
      this.starts[p] = 0;
      this.chunks.push(undefined);
    } else {
      const [chunk, start] = this.reserve(size);
      chunk.set(e.data, start);
      this.starts[p] = start;
      this.chunks.push(chunk);
    }
    this.count = p + 1;
  }

  /** Drops every entry from `index` on (a conflicting suffix); their bytes stay unused. */
  truncateFrom(index: number): void {
    const keep = Math.max(0, index - this.first);
    if (keep >= this.count) return;
    this.count = keep;
    this.chunks.length = keep;
  }

  /** Drops the entries before `index`, which becomes the first. */
  dropBefore(index: number): void {
    const drop = index - this.first;
    if (drop <= 0) return;
    if (drop >= this.count) {
      this.first += this.count;
      this.count = 0;
      this.chunks = [];
      return;
    }
    this.terms.copyWithin(0, drop, this.count);
    this.types.copyWithin(0, drop, this.count);
    this.starts.copyWithin(0, drop, this.count);
    this.sizes.copyWithin(0, drop, this.count);
    this.chunks = this.chunks.slice(drop);
    this.first = index;
    this.count -= drop;
  }

  /** Room for `size` bytes: in the current chunk, a fresh one, or (large data) its own. */
  private reserve(size: number): [Uint8Array, number] {
    if (size > this.chunkBytes >> 2) return [new Uint8Array(size), 0];
    if (this.chunk === undefined || this.chunkUsed + size > this.chunk.byteLength) {
      this.chunk = new Uint8Array(this.chunkBytes);
      this.chunkUsed = 0;
    }
    const start = this.chunkUsed;
    this.chunkUsed += size;
    return [this.chunk, start];
  }

  private grow(): void {
    const capacity = this.terms.length * 2;
    this.terms = grown(this.terms, new Float64Array(capacity));
    this.types = grown(this.types, new Uint8Array(capacity));
    this.starts = grown(this.starts, new Uint32Array(capacity));
    this.sizes = grown(this.sizes, new Uint32Array(capacity));
  }
}

function grown<T extends Float64Array | Uint8Array | Uint32Array>(old: T, next: T): T {
  next.set(old);
  return next;
}
