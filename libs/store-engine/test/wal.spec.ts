import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EntryType, type Entry } from '@skyroad/raft';
import { MemberLog, Snapshotter, Wal, WalCorruptError } from '../src';
import { prng } from './support/engine';

const entry = (index: number, term = 1, size = 32): Entry => ({
  index,
  term,
  type: EntryType.Normal,
  data: Buffer.alloc(size, index % 251),
});

describe('WAL', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wal-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

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

  it('commits concurrent saves as a group, acknowledging each after the shared fsync', async () => {
    const { wal } = Wal.open(dir);
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
    expect(readdirSync(dir).sort()).toEqual(wal.segmentFiles());
    await wal.save(undefined, [entry(101, 1, 200)]);
    await wal.close();
    const { contents, indexes, wal: again } = reopen({ fromIndex: 60 });
    expect(indexes).toEqual(Array.from({ length: 41 }, (_, i) => 61 + i));
    expect(contents.snapshot).toEqual({ index: 60, term: 1 });
    expect(contents.hardState?.commit).toBe(100);
    await again.close();
  });

  it('drops a torn last record at open and goes on appending after it', async () => {
    const { wal } = Wal.open(dir);
    for (let i = 1; i <= 10; i++) await wal.save(undefined, [entry(i)]);
    await wal.close();
    const file = join(dir, readdirSync(dir)[0]);
    const whole = statSync(file).size;
    // The start of a record (its header and a third of its body), as a crash mid-write leaves
    // it; then blocks the file system allocated but never wrote.
    const recordBytes = 8 + 1 + 17 + 32;
    appendFileSync(file, readFileSync(file).subarray(whole - recordBytes, whole - recordBytes + 20));
    const { wal: again, contents, indexes } = reopen();
    expect(indexes).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(contents.repairedBytes).toBe(20);
    expect(statSync(file).size).toBe(whole);
    await again.save(undefined, [entry(11)]);
    await again.close();
    appendFileSync(file, Buffer.alloc(4096));
    const third = reopen();
    expect(third.indexes).toHaveLength(11);
    expect(third.contents.repairedBytes).toBe(4096);
    await third.wal.close();
  });

  it('recovers a gapless prefix from the last segment cut at any byte', async () => {
    const { wal } = Wal.open(dir);
    for (let i = 1; i <= 30; i++) await wal.save({ term: 1, vote: 1, commit: i }, [entry(i, 1, 10 + i)]);
    await wal.close();
    const file = join(dir, readdirSync(dir)[0]);
    const whole = readFileSync(file);
    const rnd = prng(99);
    let previous = -1;
    for (const cut of [...Array.from({ length: 40 }, () => rnd.int(whole.length)), whole.length].sort(
      (a, b) => a - b,
    )) {
      writeFileSync(file, whole.subarray(0, cut));
      const { indexes, wal: opened } = reopen();
      await opened.close();
      expect(indexes).toEqual(Array.from({ length: indexes.length }, (_, i) => i + 1));
      expect(indexes.length).toBeGreaterThanOrEqual(previous);
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
    const offset = Math.floor(bytes.length / 2);
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
    const fifthEntryAt = bytes.length - 6 * recordBytes;
    bytes[fifthEntryAt] = 0x7f; // length field's high byte
    writeFileSync(file, bytes);
    expect(() => Wal.open(dir)).toThrow(`${name} at offset ${fifthEntryAt}`);
  });
});

describe('Snapshotter', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'snap-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

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
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'member-log-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

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
