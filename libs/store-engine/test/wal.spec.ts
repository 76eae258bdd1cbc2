import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { EntryType, type Entry } from '@skyroad/raft';
import { MemberLog, readWalMetadata, Snapshotter, Wal, WalCorruptError } from '../src';
import { prng } from './support/engine';
import { useTempDir } from './support/temp-dir';
import { dataEnd, writeAt } from './support/wal-files';

const entry = (index: number, term = 1, size = 32): Entry => ({
  index,
  term,
  type: EntryType.Normal,
  data: Buffer.alloc(size, index % 251),
});

const f64 = (n: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(n);
  return b;
};

describe('WAL', () => {
  let dir: string;
  useTempDir('wal-', (path) => (dir = path));

  const reopen = (options = {}) => {
    const { wal, contents } = Wal.open(dir, options);
    return { wal, contents, indexes: contents.entries.map((e) => e.index) };
  };

  it('keeps entries, hard state and metadata across reopen, later writes of an index winning', async () => {
    const { wal } = Wal.open(dir, { metadata: Buffer.from('member-1') });
    await wal.save({ term: 1, vote: 2, commit: 0 }, [entry(1), entry(2), entry(3)]);
    // A new leader overwrote 3 and appended 4.
    await wal.save({ term: 2, vote: 3, commit: 2 }, [entry(3, 2), entry(4, 2)]);
    await wal.close();
    const { wal: again, contents, indexes } = reopen();
    expect(indexes).toEqual([1, 2, 3, 4]);
    expect(contents.entries.map((e) => e.term)).toEqual([1, 1, 2, 2]);
    expect(contents.hardState).toEqual({ term: 2, vote: 3, commit: 2 });
    expect(contents.metadata?.toString()).toBe('member-1');
    expect(Buffer.from(contents.entries[0].data).equals(entry(1).data as Buffer)).toBe(true);
    await again.close();
  });

  it('writes each record as length | crc chained from the one before | type | payload', async () => {
    const { wal } = Wal.open(dir, { metadata: Buffer.from('m') });
    // Data given as a view into a larger buffer, and empty data, are written as their bytes alone.
    const backing = Buffer.from('xxpayload-viewxx');
    const view: Entry = { index: 2, term: 1, type: EntryType.ConfChange, data: backing.subarray(2, 14) };
    const empty: Entry = { index: 3, term: 1, type: EntryType.Normal, data: new Uint8Array(0) };
    await wal.save({ term: 1, vote: 7, commit: 0 }, [entry(1, 1, 300)]);
    await wal.save({ term: 1, vote: 7, commit: 2 }, [view, empty]);
    await wal.save(undefined, [entry(4, 2, 5000)]);
    await wal.close();
    const file = join(dir, readdirSync(dir).filter((f) => f.endsWith('.wal'))[0]);
    const bytes = readFileSync(file).subarray(0, dataEnd(file));
    // Decoded here on its own, not with the WAL's reader.
    const records: Array<[number, Buffer]> = [];
    let crc = 0;
    for (let at = 0; at < bytes.length;) {
      const length = bytes.readUInt32BE(at);
      const body = bytes.subarray(at + 8, at + 8 + length);
      crc = crc32(body, crc);
      expect(bytes.readUInt32BE(at + 4)).toBe(crc);
      records.push([body[0], body.subarray(1)]);
      at += 8 + length;
    }
    const entryPayload = (e: Entry) =>
      Buffer.concat([f64(e.term), f64(e.index), Buffer.from([e.type]), Buffer.from(e.data)]);
    const statePayload = (term: number, vote: number, commit: number) =>
      Buffer.concat([f64(term), f64(vote), f64(commit)]);
    // CRC (chain start), METADATA, then each save's entries followed by its changed hard state.
    expect(records.map(([type]) => type)).toEqual([4, 1, 2, 3, 2, 2, 3, 2]);
    expect(records[1][1].toString()).toBe('m');
    expect(records[2][1].equals(entryPayload(entry(1, 1, 300)))).toBe(true);
    expect(records[3][1].equals(statePayload(1, 7, 0))).toBe(true);
    expect(records[4][1].equals(entryPayload(view))).toBe(true);
    expect(records[5][1].equals(entryPayload(empty))).toBe(true);
    expect(records[6][1].equals(statePayload(1, 7, 2))).toBe(true);
    expect(records[7][1].equals(entryPayload(entry(4, 2, 5000)))).toBe(true);
  });

  it('syncs on the event loop by default: a save is on disk before save() returns', async () => {
    const { wal } = Wal.open(dir);
    const saved = wal.save({ term: 1, vote: 1, commit: 0 }, [entry(1)]);
    expect(wal.stats()).toEqual({ saves: 1, syncs: 1 });
    await saved;
    await wal.close();
    expect(reopen().indexes).toEqual([1]);
  });

  it('with syncs on the thread pool, commits concurrent saves as a group, acknowledging each after the shared fsync', async () => {
    const { wal } = Wal.open(dir, { fsync: 'pool' });
    const saves = Array.from({ length: 200 }, (_, i) => wal.save(undefined, [entry(i + 1)]));
    await Promise.all(saves);
    const stats = wal.stats();
    expect(stats.saves).toBe(200);
    expect(stats.syncs).toBeLessThan(stats.saves / 4);
    await wal.close();
    expect(reopen().indexes).toHaveLength(200);
  });

  it('cuts segments named <seq>-<index>.wal and releases the ones a snapshot covers', async () => {
    const { wal } = Wal.open(dir, { segmentBytes: 4096 });
    for (let i = 1; i <= 100; i++) await wal.save({ term: 1, vote: 1, commit: i }, [entry(i, 1, 200)]);
    const files = wal.segmentFiles();
    expect(files.length).toBeGreaterThan(3);
    expect(files[0]).toBe('0000000000000000-0000000000000000.wal');
    expect(files.every((f) => /^[0-9a-f]{16}-[0-9a-f]{16}\.wal$/.test(f))).toBe(true);
    await wal.saveSnapshot({ index: 60, term: 1 });
    const released = wal.releaseTo(60);
    expect(released.length).toBeGreaterThan(0);
    // (The next segment may be being prepared under a .tmp name meanwhile.)
    expect(
      readdirSync(dir)
        .filter((f) => f.endsWith('.wal'))
        .sort(),
    ).toEqual(wal.segmentFiles());
    await wal.save(undefined, [entry(101, 1, 200)]);
    await wal.close();
    const { contents, indexes, wal: again } = reopen({ fromIndex: 60 });
    expect(indexes).toEqual(Array.from({ length: 41 }, (_, i) => 61 + i));
    expect(contents.snapshot).toEqual({ index: 60, term: 1 });
    expect(contents.hardState?.commit).toBe(100);
    await again.close();
  });

  it('reads the metadata from the first segment header alone, changing nothing', async () => {
    const { wal } = Wal.open(dir, { metadata: Buffer.from('{"member":"7"}'), segmentBytes: 4096 });
    for (let i = 1; i <= 60; i++) await wal.save({ term: 1, vote: 1, commit: i }, [entry(i, 1, 200)]);
    await wal.saveSnapshot({ index: 40, term: 1 });
    expect(wal.releaseTo(40).length).toBeGreaterThan(0);
    await wal.close();
    // The first segment left is no longer segment 0: its header still carries the metadata.
    expect(readdirSync(dir).sort()[0]).not.toMatch(/^0{16}-/);
    const before = readdirSync(dir).sort();
    expect(readWalMetadata(dir)?.toString()).toBe('{"member":"7"}');
    expect(readdirSync(dir).sort()).toEqual(before);
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    expect(readWalMetadata(empty)).toBeUndefined();
  });

  it('refuses a damaged segment header when reading the metadata', async () => {
    const { wal } = Wal.open(dir, { metadata: Buffer.from('member-1') });
    await wal.close();
    const [first] = readdirSync(dir).filter((f) => f.endsWith('.wal'));
    // Flip a byte inside the metadata record's payload (after the CRC record).
    const bytes = readFileSync(join(dir, first));
    const at = bytes.indexOf(Buffer.from('member-1'));
    writeAt(join(dir, first), at, Buffer.from([bytes[at] ^ 0xff]));
    expect(() => readWalMetadata(dir)).toThrow(WalCorruptError);
  });

  it('drops a torn last record at open and goes on appending after it', async () => {
    const segmentBytes = 256 * 1024;
    const { wal } = Wal.open(dir, { segmentBytes });
    for (let i = 1; i <= 10; i++) await wal.save(undefined, [entry(i)]);
    await wal.close();
    const file = join(dir, readdirSync(dir)[0]);
    const end = dataEnd(file);
    // The start of a record (its header and 32 of its 50 bytes), as a crash mid-write leaves
    // it, in front of the segment's allocated zeros.
    const recordBytes = 8 + 1 + 17 + 32;
    writeAt(file, end, readFileSync(file).subarray(end - recordBytes, end - recordBytes + 40));
    const { wal: again, contents, indexes } = reopen({ segmentBytes });
    expect(indexes).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(contents.repairedBytes).toBe(40);
    expect(dataEnd(file)).toBe(end);
    expect(statSync(file).size).toBe(segmentBytes);
    await again.save(undefined, [entry(11)]);
    await again.close();
    // Entry 11 went where the torn record began.
    expect(dataEnd(file)).toBe(end + recordBytes);
    const third = reopen({ segmentBytes });
    expect(third.indexes).toHaveLength(11);
    expect(third.contents.repairedBytes).toBe(0);
    await third.wal.close();
  });

  it('recovers a gapless prefix from the last segment cut at any byte', async () => {
    const segmentBytes = 64 * 1024;
    const { wal } = Wal.open(dir, { segmentBytes });
    for (let i = 1; i <= 30; i++) await wal.save({ term: 1, vote: 1, commit: i }, [entry(i, 1, 10 + i)]);
    await wal.close();
    const file = join(dir, readdirSync(dir)[0]);
    const whole = readFileSync(file).subarray(0, dataEnd(file));
    const rnd = prng(99);
    let previous = -1;
    const cuts = [...Array.from({ length: 40 }, () => rnd.int(whole.length)), whole.length];
    for (const [n, cut] of cuts.sort((a, b) => a - b).entries()) {
      // A crash leaves the written prefix followed by the allocated zeros (or, for a segment
      // written before preallocation, the end of the file).
      const zeros = n % 2 === 0 ? segmentBytes - cut : 0;
      writeFileSync(file, Buffer.concat([whole.subarray(0, cut), Buffer.alloc(zeros)]));
      const { indexes, wal: opened } = reopen({ segmentBytes });
      await opened.close();
      expect(indexes).toEqual(Array.from({ length: indexes.length }, (_, i) => i + 1));
      expect(indexes.length).toBeGreaterThanOrEqual(previous);
      expect(statSync(file).size).toBe(segmentBytes);
      previous = indexes.length;
    }
    expect(previous).toBe(30);
  });

  it('refuses a corrupted record before the tail, naming the file and offset', async () => {
    const { wal } = Wal.open(dir);
    for (let i = 1; i <= 10; i++) await wal.save(undefined, [entry(i)]);
    await wal.close();
    const name = readdirSync(dir)[0];
    const file = join(dir, name);
    const bytes = readFileSync(file);
    const offset = Math.floor(dataEnd(file) / 2);
    bytes[offset] ^= 0xff;
    writeFileSync(file, bytes);
    let caught: unknown;
    try {
      Wal.open(dir);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(WalCorruptError);
    const err = caught as WalCorruptError;
    expect(err.file).toBe(name);
    expect(err.offset).toBeLessThanOrEqual(offset);
    expect(err.message).toContain(`${name} at offset ${err.offset}`);
  });

  it('refuses a record whose length was damaged instead of taking it for a torn tail', async () => {
    const { wal } = Wal.open(dir);
    for (let i = 1; i <= 10; i++) await wal.save(undefined, [entry(i)]);
    await wal.close();
    const name = readdirSync(dir)[0];
    const file = join(dir, name);
    const bytes = readFileSync(file);
    const recordBytes = 8 + 1 + 17 + 32;
    const fifthEntryAt = dataEnd(file) - 6 * recordBytes;
    bytes[fifthEntryAt] = 0x7f; // length field's high byte
    writeFileSync(file, bytes);
    expect(() => Wal.open(dir)).toThrow(`${name} at offset ${fifthEntryAt}`);
  });
});

describe('Snapshotter', () => {
  let dir: string;
  useTempDir('snap-', (path) => (dir = path));

  const snapshot = (index: number) => ({
    metadata: {
      index,
      term: 3,
      confState: { voters: [1, 2, 3], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false },
    },
    data: Buffer.from(`state at ${index}`),
  });

  it('saves and loads the latest snapshot, falling back past a damaged one', () => {
    const snaps = new Snapshotter(dir);
    expect(snaps.load()).toBeUndefined();
    snaps.save(snapshot(10));
    const newest = snaps.save(snapshot(20));
    expect(newest).toBe('0000000000000003-0000000000000014.snap');
    expect(snaps.load()).toEqual(snapshot(20));
    const file = join(dir, newest);
    const bytes = readFileSync(file);
    bytes[bytes.length - 1] ^= 1;
    writeFileSync(file, bytes);
    expect(snaps.load()).toEqual(snapshot(10));
    expect(readdirSync(dir)).toContain(`${newest}.broken`);
  });
});

describe('MemberLog', () => {
  let dir: string;
  useTempDir('member-log-', (path) => (dir = path));

  it('reopens as the newest snapshot plus the WAL entries after it', async () => {
    const log = MemberLog.open(dir, { segmentBytes: 2048 });
    expect(log.load()).toEqual({ snapshot: undefined, hardState: undefined, entries: [] });
    for (let i = 1; i <= 40; i++) await log.save({ term: 1, vote: 1, commit: i - 1 }, [entry(i, 1, 100)]);
    const snapshot = {
      metadata: {
        index: 30,
        term: 1,
        confState: { voters: [1], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false },
      },
      data: Buffer.from('backend bytes'),
    };
    await log.saveSnapshot(snapshot);
    expect(log.releaseTo(30).length).toBeGreaterThan(0);
    await log.close();
    const again = MemberLog.open(dir, { segmentBytes: 2048 });
    const contents = again.load();
    expect(contents.snapshot).toEqual(snapshot.metadata);
    expect(contents.entries.map((e) => e.index)).toEqual(Array.from({ length: 10 }, (_, i) => 31 + i));
    expect(contents.hardState).toEqual({ term: 1, vote: 1, commit: 39 });
    expect(again.loadSnapshot()).toEqual(snapshot);
    await again.close();
  });
});
