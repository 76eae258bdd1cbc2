/*
 * The write-ahead log of Raft entries and hard state (etcd's wal package). Records go to
 * segment files `<seq>-<index>.wal` in one directory; a segment is cut once it passes
 * WAL_SEGMENT_BYTES. Segments are allocated to that size (zeros, synced) before records go
 * into them, and the next one is prepared in the background (segment-file.ts,
 * segment-pipeline.ts), so an fdatasync has only data to write. `save()` is the only write path
 * and resolves only after the bytes are fsynced; a save to an idle log starts its write and
 * sync at once. On a fast disk the sync runs before save() returns (fsync-mode.ts); on a slow
 * one it runs on the thread pool, and saves made while it is in flight are written and synced
 * together after it (group commit), in call order. At open, a record cut short at the end of
 * the last segment (a crash during a write) is dropped (zeroed) and writing goes on from there;
 * any other bad record is refused with the file and offset, because silently dropping
 * acknowledged entries would break Raft's promises.
 */
import {
  closeSync,
  fdatasync,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  rmSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Entry, HardState } from '@skyroad/raft';
import { syncDir, writeAll } from './files';
import {
  encodeCrc,
  encodeHardState,
  encodeRecord,
  encodeSnapshotMark,
  entryPayloadBytes,
  HARD_STATE_BYTES,
  RecordLayout,
  RecordType,
  sealRecords,
  type WalRecord,
  type WalSnapshotMark,
} from './record';
import { FsyncMode, type FsyncPlacement } from './fsync-mode';
import { installSegment, zeroFillSync } from './segment-file';
import { parseSegmentName, segmentFileName, type SegmentName } from './segment-name';
import { SegmentPipeline } from './segment-pipeline';
import {
  createFirstSegment,
  listSegments,
  readSegments,
  removePreparedFiles,
  type WalContents,
  type WalTail,
} from './wal-reader';

export { WalCorruptError, readWalMetadata, walExists, type WalContents } from './wal-reader';

/** A segment is allocated to, and cut once it holds, this many bytes (etcd's SegmentSizeBytes). */
export const WAL_SEGMENT_BYTES = 64 * 1024 * 1024;

export interface WalOptions {
  /** Segment size (tests use small ones); each segment takes this much disk from its creation. */
  segmentBytes?: number;
  /** Opaque bytes stored at the head of every segment (member id, cluster id). */
  metadata?: Uint8Array;
  /** Entries at or below this index (the loaded snapshot's) are not returned by open(). */
  fromIndex?: number;
  /** Where fdatasync runs (fsync-mode.ts); `auto` by default. */
  fsync?: FsyncPlacement;
}

type PendingWrite = { kind: 'bytes'; bytes: Buffer } | { kind: 'cut'; name: string; header: Buffer };

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

export class Wal {
  private fd: number;
  /** Where the next write goes in the current segment (records end here; zeros follow). */
  private fileOffset: number;
  private crc: number;
  private segmentUsed: number;
  private lastIndex: number;
  private lastState: HardState | undefined;
  private metadata: Buffer;
  private pending: PendingWrite[] = [];
  private waiters: Waiter[] = [];
  private flushing = false;
  private failure: Error | undefined;
  private closed = false;
  private readonly segmentBytes: number;
  private readonly counters = { saves: 0, syncs: 0 };
  /** Sequence number of the newest segment, created or queued. */
  private lastSeq: number;
  private readonly pipeline: SegmentPipeline;
  private readonly fsyncMode: FsyncMode;

  private constructor(
    readonly dir: string,
    private segments: SegmentName[],
    tail: WalTail,
    options: WalOptions,
  ) {
    this.segmentBytes = options.segmentBytes ?? WAL_SEGMENT_BYTES;
    this.crc = tail.crc;
    this.segmentUsed = tail.size;
    this.lastIndex = tail.lastIndex;
    this.lastState = tail.state;
    this.metadata = tail.metadata;
    this.fd = openSync(join(dir, segments[segments.length - 1].file), 'r+');
    this.fileOffset = tail.size;
    this.lastSeq = segments[segments.length - 1].seq;
    this.pipeline = new SegmentPipeline(dir, this.segmentBytes);
    this.fsyncMode = new FsyncMode(options.fsync);
    this.allocateCurrentSegment();
  }

  /** A segment written before preallocation (or with a smaller size) is extended with zeros once. */
  private allocateCurrentSegment(): void {
    const { size } = fstatSync(this.fd);
    if (size >= this.segmentBytes) return;
    zeroFillSync(this.fd, size, this.segmentBytes);
    fdatasyncSync(this.fd);
  }

  /** Opens the log in `dir` (creating it when there is none) and reads everything in it. */
  static open(dir: string, options: WalOptions = {}): { wal: Wal; contents: WalContents } {
    mkdirSync(dir, { recursive: true });
    removePreparedFiles(dir);
    let segments = listSegments(dir);
    if (segments.length === 0) {
      createFirstSegment(dir, Buffer.from(options.metadata ?? []), options.segmentBytes ?? WAL_SEGMENT_BYTES);
      segments = listSegments(dir);
    }
    const read = readSegments(dir, segments, options.fromIndex ?? 0);
    const wal = new Wal(dir, segments, read.tail, options);
    return { wal, contents: read.contents };
  }

  get lastSavedIndex(): number {
    return this.lastIndex;
  }

  /** Saves requested and fsyncs done: with group commit, syncs grow slower than saves under load. */
  stats(): { saves: number; syncs: number } {
    return { ...this.counters };
  }

  segmentFiles(): string[] {
    return this.segments.map((s) => s.file);
  }

  /**
   * Appends the hard state (if it changed) and entries; resolves once they are on disk.
   * Entries must follow Raft's order (an index at or below the last one replaces the suffix).
   */
  save(hardState: HardState | undefined, entries: readonly Entry[]): Promise<void> {
    const state = hardState && !sameState(hardState, this.lastState) ? hardState : undefined;
    if (entries.length === 0 && !state) return this.enqueue(undefined);
    let size = state ? RecordLayout.sizeOf(HARD_STATE_BYTES) : 0;
    for (const e of entries) size += RecordLayout.sizeOf(entryPayloadBytes(e));
    const layout = new RecordLayout(size);
    for (const e of entries) layout.addEntry(e);
    if (state) {
      layout.add({ type: RecordType.STATE, payload: encodeHardState(state) });
      this.lastState = { ...state };
    }
    if (entries.length > 0) this.lastIndex = entries[entries.length - 1].index;
    return this.enqueue(layout);
  }

  /** Records that a snapshot at (index, term) was saved: a replay may start after it. */
  saveSnapshot(mark: WalSnapshotMark): Promise<void> {
    return this.enqueue(RecordLayout.of({ type: RecordType.SNAPSHOT, payload: encodeSnapshotMark(mark) }));
  }

  /**
   * Deletes segments holding only entries below `index` (call after a snapshot at `index` is
   * saved and the backend is flushed). The segment that may hold `index` stays, and so does the
   * one being written (a segment queued but not yet created is not considered).
   */
  releaseTo(index: number): string[] {
    let keepFrom = 0;
    for (let i = 0; i < this.segments.length; i++) if (this.segments[i].index <= index) keepFrom = i;
    const released = this.segments.slice(0, keepFrom);
    for (const segment of released) rmSync(join(this.dir, segment.file), { force: true });
    this.segments = this.segments.slice(keepFrom);
    if (released.length > 0) syncDir(this.dir);
    return released.map((s) => s.file);
  }

  /** Waits for pending saves, then closes the file and drops a next segment being prepared. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.pending.length > 0 || this.flushing) await this.enqueue(undefined).catch(() => undefined);
    this.closed = true;
    if (this.fd >= 0) closeSync(this.fd);
    await this.pipeline.stop();
  }

  /** Queues the records laid out in `layout` (sealed here, continuing the chain); none: just waits. */
  private enqueue(layout: RecordLayout | undefined): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('wal: closed'));
    if (layout) {
      if (!layout.complete) throw new Error('wal: records laid out short of their size');
      this.counters.saves++;
      if (this.segmentUsed >= this.segmentBytes) this.cut();
      const bytes = layout.bytes;
      this.crc = sealRecords(bytes, this.crc);
      this.segmentUsed += bytes.length;
      this.pending.push({ kind: 'bytes', bytes });
      // Half way through a segment, start allocating the next one, off the write path. Not at
      // open: a log opened only to be read would allocate a segment for nothing.
      if (this.segmentUsed >= this.segmentBytes / 2) this.pipeline.prepare(this.lastSeq + 1);
    }
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.flushing) {
      // Start writing and syncing now rather than on a later turn: the fsync is the longest
      // step of a write, and every turn spent waiting to start it adds to each write's latency.
      // Saves made while it runs are batched into the next sync (group commit).
      this.flushing = true;
      void this.flush();
    }
    return done;
  }

  /** Queues the start of a new segment: a CRC record continuing the chain, metadata, hard state. */
  private cut(): void {
    const name = segmentFileName(++this.lastSeq, this.lastIndex + 1);
    const header: Buffer[] = [];
    const records: WalRecord[] = [
      { type: RecordType.CRC, payload: encodeCrc(this.crc) },
      { type: RecordType.METADATA, payload: this.metadata },
    ];
    if (this.lastState) records.push({ type: RecordType.STATE, payload: encodeHardState(this.lastState) });
    for (const record of records) {
      const { bytes, crc } = encodeRecord(record, this.crc);
      this.crc = crc;
      header.push(bytes);
    }
    const bytes = Buffer.concat(header);
    this.pending.push({ kind: 'cut', name, header: bytes });
    this.segmentUsed = bytes.length;
  }

  /**
   * Closes the current segment (synced, cut at its last record) and continues in a prepared file
   * renamed to `name`, waiting for its preparation if it is not done yet.
   */
  private async startSegment(name: string, header: Buffer): Promise<void> {
    // A segment is cut only once full, so it has no zeros left; unless it was allocated
    // larger than this log's segment size (opened with another size): do not leave them.
    if (fstatSync(this.fd).size > this.fileOffset) ftruncateSync(this.fd, this.fileOffset);
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = -1; // until the next segment is open: a failure in between must not close it twice
    const segment = parseSegmentName(name)!;
    const prepared = await this.pipeline.take(segment.seq);
    this.fd = installSegment(this.dir, prepared, name, header);
    this.fileOffset = header.length;
    // Only a segment that exists may be counted (and released): see releaseTo.
    this.segments.push(segment);
  }

  /** Writes everything queued, fsyncs once, and resolves every save in the batch. */
  private async flush(): Promise<void> {
    while (this.waiters.length > 0) {
      const batch = this.pending.splice(0);
      const waiters = this.waiters.splice(0);
      try {
        for (const item of batch) {
          if (item.kind === 'bytes') {
            writeAll(this.fd, item.bytes, this.fileOffset);
            this.fileOffset += item.bytes.length;
          } else {
            await this.startSegment(item.name, item.header);
          }
        }
        const pooled = this.sync();
        if (pooled) await pooled;
        this.counters.syncs++;
        for (const w of waiters) w.resolve();
      } catch (error) {
        // After a failed write or sync nothing later may be acknowledged (fsyncgate): stay failed.
        this.failure = new Error(`wal: write failed: ${(error as Error).message}`);
        for (const w of [...waiters, ...this.waiters.splice(0)]) w.reject(this.failure);
        this.pending = [];
      }
    }
    this.flushing = false;
  }

  /**
   * fdatasync of the current segment: done before it returns when syncs run inline (then
   * undefined), otherwise on the thread pool (fsync-mode.ts).
   */
  private sync(): Promise<void> | undefined {
    const started = performance.now();
    if (this.fsyncMode.inline) {
      fdatasyncSync(this.fd);
      this.fsyncMode.observe(performance.now() - started);
      return undefined;
    }
    return new Promise<void>((resolve, reject) =>
      fdatasync(this.fd, (err) => {
        if (err) return reject(err);
        this.fsyncMode.observe(performance.now() - started);
        resolve();
      }),
    );
  }
}

function sameState(a: HardState, b: HardState | undefined): boolean {
  return b !== undefined && a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}
