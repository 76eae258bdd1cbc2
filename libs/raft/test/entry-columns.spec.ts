import fc from 'fast-check';
import { CompactedError, EntryType, MemoryStorage, UnavailableError, type Entry } from '../src';
import { ENTRY_CHUNK_BYTES, EntryColumns } from '../src/entry-columns';
import { entrySizeBytes } from '../src/util';

/** The storage's contract kept the plain way: an array of entry objects, ents[0] the dummy. */
class ModelStorage {
  ents: Entry[] = [{ term: 0, index: 0, type: EntryType.Normal, data: new Uint8Array(0) }];

  get offset(): number {
    return this.ents[0].index;
  }
  lastIndex(): number {
    return this.offset + this.ents.length - 1;
  }
  append(entries: Entry[]): void {
    if (entries.length === 0) return;
    const first = this.offset + 1;
    if (entries[0].index + entries.length - 1 < first) return;
    if (first > entries[0].index) entries = entries.slice(first - entries[0].index);
    this.ents = this.ents.slice(0, entries[0].index - this.offset).concat(entries.map(copyEntry));
  }
  compact(i: number): void {
    this.ents = [
      { ...this.ents[i - this.offset], data: new Uint8Array(0) },
      ...this.ents.slice(i - this.offset + 1),
    ];
  }
  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    const all = this.ents.slice(lo - this.offset, hi - this.offset);
    let size = entrySizeBytes(all[0]);
    let n = 1;
    for (; n < all.length; n++) {
      size += entrySizeBytes(all[n]);
      if (size > maxBytes) break;
    }
    return all.slice(0, n);
  }
}

function copyEntry(e: Entry): Entry {
  return { ...e, data: e.data.slice() };
}

function entryWith(index: number, term: number, size: number, fill: number): Entry {
  const data = new Uint8Array(size).fill(fill & 0xff);
  if (size > 0) data[0] = index & 0xff;
  return { index, term, type: size % 3 === 0 ? EntryType.ConfChange : EntryType.Normal, data };
}

/** An entry as comparable values (its data as hex: large entries compare quickly). */
function plain(entries: Entry[]): Array<[number, number, number, string]> {
  return entries.map((e) => [
    e.index,
    e.term,
    e.type,
    Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength).toString('hex'),
  ]);
}

type Op =
  | { kind: 'append'; back: number; count: number; term: number; size: number }
  | { kind: 'compact'; at: number }
  | { kind: 'read'; lo: number; span: number; maxBytes: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('append' as const),
    back: fc.nat(6),
    count: fc.integer({ min: 1, max: 8 }),
    term: fc.integer({ min: 1, max: 5 }),
    size: fc.oneof(
      { arbitrary: fc.nat(600), weight: 8 },
      { arbitrary: fc.constant(0), weight: 2 },
      // Above the own-chunk threshold (a quarter of a chunk).
      { arbitrary: fc.integer({ min: 262_145, max: 270_000 }), weight: 1 },
    ),
  }),
  fc.record({ kind: fc.constant('compact' as const), at: fc.nat(1000) }),
  fc.record({
    kind: fc.constant('read' as const),
    lo: fc.nat(1000),
    span: fc.integer({ min: 1, max: 12 }),
    maxBytes: fc.oneof(fc.constant(0), fc.nat(4000), fc.constant(Number.MAX_SAFE_INTEGER)),
  }),
);

describe('EntryColumns', () => {
  it('MemoryStorage on columns answers as the plain array of entries over random histories', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 80 }), (ops) => {
        const s = new MemoryStorage();
        const model = new ModelStorage();
        const held: Array<[Entry, string]> = [];
        for (const op of ops) {
          if (op.kind === 'append') {
            // Start at or before the end (a conflicting suffix), possibly before the compacted part.
            const start = Math.max(1, model.lastIndex() + 1 - op.back);
            const batch = Array.from({ length: op.count }, (_, i) =>
              entryWith(start + i, op.term, op.size > 0 ? op.size + i : 0, op.term * 7 + i),
            );
            s.append(batch);
            model.append(batch);
            for (const e of batch) e.data.fill(0xee); // the storage keeps its own copy
          } else if (op.kind === 'compact') {
            const lo = model.offset + 1;
            if (model.lastIndex() < lo) continue;
            const at = lo + (op.at % (model.lastIndex() - lo + 1));
            s.compact(at);
            model.compact(at);
          } else {
            const lo = model.offset + 1 + (op.lo % Math.max(1, model.lastIndex() - model.offset));
            const hi = Math.min(model.lastIndex() + 1, lo + op.span);
            if (hi <= lo) continue;
            const got = s.entries(lo, hi, op.maxBytes);
            expect(plain(got)).toEqual(plain(model.entries(lo, hi, op.maxBytes)));
            held.push([got[0], plain(got)[0][3]]);
          }
          expect([s.firstIndex(), s.lastIndex()]).toEqual([model.offset + 1, model.lastIndex()]);
          for (let i = model.offset; i <= model.lastIndex(); i++)
            expect(s.term(i)).toBe(model.ents[i - model.offset].term);
        }
        // A view handed out earlier still reads what it read then: bytes are never overwritten.
        for (const [e, hex] of held) expect(plain([e])[0][3]).toBe(hex);
      }),
      { numRuns: 100, seed: 20261207 },
    );
  });

  it('keeps each entry with its own bytes across chunk boundaries, truncations and drops', () => {
    // Small chunks, so that a history crosses many of them.
    const chunkBytes = 1024;
    const step = fc.oneof(
      fc.record({
        kind: fc.constant('push' as const),
        size: fc.oneof(fc.nat(300), fc.integer({ min: 257, max: 700 })),
      }),
      fc.record({ kind: fc.constant('truncate' as const), back: fc.nat(5) }),
      fc.record({ kind: fc.constant('drop' as const), ahead: fc.nat(5) }),
    );
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 200 }), (steps) => {
        const cols = new EntryColumns(1, chunkBytes);
        let model: Entry[] = [];
        let first = 1;
        let term = 1;
        for (const s of steps) {
          if (s.kind === 'push') {
            const e = entryWith(first + model.length, term, s.size, model.length);
            cols.push(e);
            model.push(copyEntry(e));
            e.data.fill(0xee);
          } else if (s.kind === 'truncate') {
            const at = Math.max(first, first + model.length - s.back);
            cols.truncateFrom(at);
            model = model.slice(0, at - first);
            term += 1;
          } else {
            const to = Math.min(first + model.length, first + s.ahead);
            cols.dropBefore(to);
            model = model.slice(to - first);
            first = to;
          }
          expect([cols.firstIndex, cols.length]).toEqual([first, model.length]);
        }
        if (model.length > 0) expect(plain(cols.slice(first, first + model.length))).toEqual(plain(model));
      }),
      { numRuns: 200, seed: 7 },
    );
  });

  it('refuses indexes outside the log as before', () => {
    const s = new MemoryStorage();
    s.append([entryWith(1, 1, 10, 1), entryWith(2, 1, 10, 2), entryWith(3, 2, 10, 3)]);
    s.compact(2);
    expect(() => s.entries(2, 3, 100)).toThrow(CompactedError);
    expect(() => s.term(1)).toThrow(CompactedError);
    expect(() => s.term(4)).toThrow(UnavailableError);
    expect(() => s.entries(3, 5, 100)).toThrow(UnavailableError);
    expect(s.term(2)).toBe(1);
  });

  it('packs small entries into shared chunks and gives a large one its own', () => {
    const cols = new EntryColumns(1);
    const small = 300;
    const perChunk = Math.floor(ENTRY_CHUNK_BYTES / small);
    for (let i = 1; i <= perChunk + 1; i++) cols.push(entryWith(i, 1, small, i));
    const big = entryWith(perChunk + 2, 1, ENTRY_CHUNK_BYTES, 9);
    cols.push(big);
    const first = cols.entry(1).data;
    expect(cols.entry(perChunk).data.buffer).toBe(first.buffer);
    expect(cols.entry(perChunk + 1).data.buffer).not.toBe(first.buffer);
    expect(cols.entry(perChunk + 2).data.byteLength).toBe(ENTRY_CHUNK_BYTES);
    expect(cols.entry(perChunk + 2).data.buffer.byteLength).toBe(ENTRY_CHUNK_BYTES);
    expect(() => cols.push(entryWith(perChunk + 4, 1, 1, 1))).toThrow(RangeError);

    // A chunk filled to its last byte: the next entry starts a new one.
    const exact = new EntryColumns(1, 1024);
    for (let i = 1; i <= 4; i++) exact.push(entryWith(i, 1, 256, i));
    exact.push(entryWith(5, 1, 1, 5));
    expect(exact.entry(4).data.buffer).toBe(exact.entry(1).data.buffer);
    expect(exact.entry(5).data.buffer).not.toBe(exact.entry(1).data.buffer);
    expect(plain(exact.slice(4, 6))).toEqual(plain([entryWith(4, 1, 256, 4), entryWith(5, 1, 1, 5)]));
  });
});
