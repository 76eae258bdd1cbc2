/*
 * Preallocated WAL segments: every segment is allocated to its full size (zeros, synced) before
 * records go into it, the next one is prepared in the background under a name that is not a
 * segment's, and the reader takes the zeros after the last record for the end of the log.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EntryType, type Entry } from '@skyroad/raft';
import { Wal, WAL_SEGMENT_BYTES, WalCorruptError, walExists } from '../src';
import { useTempDir } from './support/temp-dir';
import { dataEnd, writeAt } from './support/wal-files';

const SEGMENT_BYTES = 256 * 1024;

const entry = (index: number, size = 32, fill = index % 251): Entry => ({
  index,
  term: 1,
  type: EntryType.Normal,
  data: Buffer.alloc(size, fill),
});
const recordBytes = (size: number) => 8 + 1 + 17 + size;
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const tmpFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.tmp'));

describe('WAL preallocation', () => {
  let dir: string;
  useTempDir('wal-prealloc-', (path) => (dir = path));

  const open = (segmentBytes = SEGMENT_BYTES) => {
    const { wal, contents } = Wal.open(dir, { segmentBytes });
    return { wal, contents, indexes: contents.entries.map((e) => e.index) };
  };
  const segmentPath = (wal: Wal, n: number) => join(dir, wal.segmentFiles().at(n)!);

  it('allocates the first segment of a new log to the segment size (64 MiB by default)', async () => {
    const { wal } = Wal.open(dir);
    const file = segmentPath(wal, 0);
    expect(statSync(file).size).toBe(WAL_SEGMENT_BYTES);
    await wal.save({ term: 1, vote: 1, commit: 1 }, [entry(1)]);
    await wal.close();
    expect(statSync(file).size).toBe(WAL_SEGMENT_BYTES);

    const small = join(dir, 'small');
    const { wal: other } = Wal.open(small, { segmentBytes: SEGMENT_BYTES });
    expect(statSync(join(small, other.segmentFiles()[0])).size).toBe(SEGMENT_BYTES);
    await other.close();
  });

  it('after a restart returns every synced record and appends right after the last one', async () => {
    let { wal } = open();
    for (let i = 1; i <= 50; i++) await wal.save({ term: 1, vote: 1, commit: i - 1 }, [entry(i)]);
    await wal.close();
    const file = segmentPath(wal, 0);
    const end = dataEnd(file);

    let reopened = open();
    expect(reopened.indexes).toEqual(range(1, 50));
    expect(reopened.contents.hardState).toEqual({ term: 1, vote: 1, commit: 49 });
    expect(reopened.contents.repairedBytes).toBe(0);
    wal = reopened.wal;
    for (let i = 51; i <= 60; i++) await wal.save({ term: 1, vote: 1, commit: i - 1 }, [entry(i)]);
    await wal.close();
    // Written from the end of the records, not from the end of the file: no gap, no growth.
    expect(dataEnd(file)).toBeGreaterThanOrEqual(end + 10 * recordBytes(32));
    expect(statSync(file).size).toBe(SEGMENT_BYTES);

    reopened = open();
    expect(reopened.indexes).toEqual(range(1, 60));
    expect(reopened.contents.hardState).toEqual({ term: 1, vote: 1, commit: 59 });
    await reopened.wal.save(undefined, [entry(61)]);
    await reopened.wal.close();
    const last = open();
    expect(last.indexes).toEqual(range(1, 61));
    expect(Buffer.from(last.contents.entries[60].data).equals(entry(61).data as Buffer)).toBe(true);
    await last.wal.close();
  });

  it('drops a torn record followed by zeros (its last blocks unwritten), rewriting from there', async () => {
    const size = 3000;
    const { wal } = open();
    for (let i = 1; i <= 10; i++) await wal.save(undefined, [entry(i, size)]);
    await wal.close();
    const file = segmentPath(wal, 0);
    const end = dataEnd(file);
    const start = end - recordBytes(size);
    // Header and first 1,024 bytes on disk, the rest of the record still zeros: a crc mismatch.
    writeAt(file, start + 1024, Buffer.alloc(end - start - 1024));

    const torn = open();
    expect(torn.indexes).toEqual(range(1, 9));
    expect(torn.contents.repairedBytes).toBe(1024);
    expect(dataEnd(file)).toBe(start);
    expect(statSync(file).size).toBe(SEGMENT_BYTES);
    await torn.wal.save(undefined, [entry(10, size, 77)]);
    await torn.wal.close();

    const again = open();
    expect(again.indexes).toEqual(range(1, 10));
    expect(Buffer.from(again.contents.entries[9].data).equals(entry(10, size, 77).data as Buffer)).toBe(true);
    expect(again.contents.repairedBytes).toBe(0);
    await again.wal.close();
  });

  it('refuses data after the zeros: that is not a torn write but damage', async () => {
    const { wal } = open();
    for (let i = 1; i <= 10; i++) await wal.save(undefined, [entry(i)]);
    await wal.close();
    const file = segmentPath(wal, 0);
    const end = dataEnd(file);
    writeAt(file, end + 8192, Buffer.from('stray bytes'));
    expect(() => Wal.open(dir, { segmentBytes: SEGMENT_BYTES })).toThrow(WalCorruptError);
    expect(() => Wal.open(dir, { segmentBytes: SEGMENT_BYTES })).toThrow(`at offset ${end}`);
  });

  it('cuts to the file prepared in the background, renamed into place', async () => {
    const segmentBytes = 64 * 1024;
    const { wal } = open(segmentBytes);
    let index = 0;
    // Past half of the first segment, the next one starts being prepared.
    while (index < 40) await wal.save(undefined, [entry(++index, 1000)]);
    let prepared: string | undefined;
    for (let i = 0; i < 500 && !prepared; i++) {
      prepared = tmpFiles(dir)[0];
      if (!prepared) await sleep(10);
    }
    expect(prepared).toBe('0000000000000001.wal.tmp');
    const inode = statSync(join(dir, prepared!)).ino;
    while (wal.segmentFiles().length < 2) await wal.save(undefined, [entry(++index, 1000)]);

    const [first, second] = wal.segmentFiles().map((f) => join(dir, f));
    expect(statSync(second).ino).toBe(inode);
    expect(statSync(second).size).toBe(segmentBytes);
    // The full segment ends at its last record: no zeros left in it.
    expect(statSync(first).size).toBeGreaterThanOrEqual(segmentBytes);
    expect(dataEnd(first)).toBe(statSync(first).size);
    // Keep writing through a few more cuts.
    while (wal.segmentFiles().length < 5) await wal.save(undefined, [entry(++index, 1000)]);
    await wal.close();
    expect(tmpFiles(dir)).toEqual([]);
    const files = readdirSync(dir).sort();
    for (const f of files.slice(0, -1)) expect(dataEnd(join(dir, f))).toBe(statSync(join(dir, f)).size);
    expect(statSync(join(dir, files.at(-1)!)).size).toBe(segmentBytes);

    const reopened = open(segmentBytes);
    expect(reopened.indexes).toEqual(range(1, index));
    await reopened.wal.close();
  });

  it('cuts while the next file is still being prepared, waiting for it', async () => {
    const segmentBytes = 8 * 1024 * 1024;
    const { wal } = open(segmentBytes);
    const big = 5 * 1024 * 1024;
    // The first save passes half (preparation starts), the third finds the segment full: the
    // cut comes within a batch or two, while 8 MiB of zeros are still being written.
    await Promise.all([
      wal.save(undefined, [entry(1, big)]),
      wal.save(undefined, [entry(2, big)]),
      wal.save(undefined, [entry(3)]),
    ]);
    expect(wal.segmentFiles()).toHaveLength(2);
    const second = segmentPath(wal, 1);
    expect(statSync(second).size).toBe(segmentBytes);
    await wal.close();
    const reopened = open(segmentBytes);
    expect(reopened.indexes).toEqual([1, 2, 3]);
    await reopened.wal.close();
  });

  it('removes a leftover prepared file at open and never reads it as a segment', async () => {
    const { wal } = open();
    for (let i = 1; i <= 5; i++) await wal.save(undefined, [entry(i)]);
    await wal.close();
    // A crash mid-preparation leaves a file that might even hold records.
    const leftover = join(dir, '0000000000000001.wal.tmp');
    copyFileSync(segmentPath(wal, 0), leftover);
    const reopened = open();
    expect(reopened.indexes).toEqual(range(1, 5));
    expect(existsSync(leftover)).toBe(false);
    expect(reopened.wal.segmentFiles()).toHaveLength(1);
    await reopened.wal.close();

    // A directory holding nothing but a leftover holds no log.
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    writeFileSync(join(empty, '0000000000000000.wal.tmp'), Buffer.alloc(4096));
    expect(walExists(empty)).toBe(false);
    const fresh = Wal.open(empty, { segmentBytes: SEGMENT_BYTES });
    expect(fresh.contents.entries).toEqual([]);
    expect(readdirSync(empty)).toEqual(['0000000000000000-0000000000000000.wal']);
    await fresh.wal.close();
  });

  it('extends a segment written before preallocation and appends after its last record', async () => {
    const { wal } = open();
    for (let i = 1; i <= 5; i++) await wal.save(undefined, [entry(i)]);
    await wal.close();
    const file = segmentPath(wal, 0);
    const end = dataEnd(file);
    truncateSync(file, end); // what an appending WAL left
    const reopened = open();
    expect(reopened.indexes).toEqual(range(1, 5));
    expect(statSync(file).size).toBe(SEGMENT_BYTES);
    await reopened.wal.save(undefined, [entry(6)]);
    await reopened.wal.close();
    expect(dataEnd(file)).toBe(end + recordBytes(32));
    const last = open();
    expect(last.indexes).toEqual(range(1, 6));
    await last.wal.close();
  });

  it('leaves no zeros in a segment allocated larger than the size it is cut at', async () => {
    const first = open(1024 * 1024);
    for (let i = 1; i <= 10; i++) await first.wal.save(undefined, [entry(i, 500)]);
    await first.wal.close();
    const small = open(4096);
    for (let i = 11; i <= 30; i++) await small.wal.save(undefined, [entry(i, 500)]);
    expect(small.wal.segmentFiles().length).toBeGreaterThan(2);
    await small.wal.close();
    const file = join(dir, readdirSync(dir).sort()[0]);
    expect(statSync(file).size).toBe(dataEnd(file));
    const reopened = open(4096);
    expect(reopened.indexes).toEqual(range(1, 30));
    await reopened.wal.close();
  });

  it('takes zeros after the last record of any segment for its end, the crc chain guarding', async () => {
    const segmentBytes = 4096;
    const { wal } = open(segmentBytes);
    for (let i = 1; i <= 40; i++) await wal.save(undefined, [entry(i, 300)]);
    await wal.close();
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.wal'))
      .sort();
    expect(files.length).toBeGreaterThan(2);
    // Zeros over the last record of a middle segment: the next segment's CRC record no longer
    // matches what was read, so the loss is caught rather than taken for the end of the log.
    const middle = join(dir, files[1]);
    const end = dataEnd(middle);
    writeAt(middle, end - recordBytes(300), Buffer.alloc(recordBytes(300)));
    expect(() => Wal.open(dir, { segmentBytes })).toThrow(`${files[2]} at offset 0`);
  });
});
