/*
 * Reading a WAL directory at open: the segments in sequence, every record checked against the
 * CRC chain, the last write repaired if a crash cut it short (see isTornTail), anything else
 * refused with the file and offset. Segments are preallocated (see segment-file.ts): zeros after
 * the last record are unwritten space, the end of the segment.
 */
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Entry, HardState } from '@skyroad/raft';
import { syncDir } from './files';
import {
  CRC_MISMATCH,
  decodeEntry,
  decodeHardState,
  decodeRecord,
  decodeSnapshotMark,
  encodeCrc,
  encodeRecord,
  RECORD_HEADER_BYTES,
  RecordType,
  type WalSnapshotMark,
} from './record';
import { allocateFileSync, endOfData, installSegment, zeroFillSync } from './segment-file';
import {
  isPreparedFileName,
  parseSegmentName,
  preparedFileName,
  segmentFileName,
  type SegmentName,
} from './segment-name';

export class WalCorruptError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    reason: string,
  ) {
    super(`wal: corrupt record in ${file} at offset ${offset}: ${reason}`);
    this.name = 'WalCorruptError';
  }
}

export interface WalContents {
  metadata: Buffer | undefined;
  hardState: HardState | undefined;
  /** Entries after `fromIndex`, later writes of an index replacing earlier ones (as Raft overwrites). */
  entries: Entry[];
  /** The latest snapshot recorded with saveSnapshot(). */
  snapshot: WalSnapshotMark | undefined;
  /**
   * Bytes of a write cut short that were dropped (zeroed) at the end of the last segment; zeros
   * after the last record are not counted.
   */
  repairedBytes: number;
}

/** Where writing goes on after the last good record. */
export interface WalTail {
  crc: number;
  /** Offset just past the last good record of the last segment (not its file size). */
  size: number;
  lastIndex: number;
  state: HardState | undefined;
  metadata: Buffer;
}

export function listSegments(dir: string): SegmentName[] {
  const segments = readdirSync(dir)
    .map(parseSegmentName)
    .filter((s): s is SegmentName => s !== undefined)
    .sort((a, b) => a.seq - b.seq);
  for (let i = 1; i < segments.length; i++) {
    if (segments[i].seq !== segments[i - 1].seq + 1) {
      throw new Error(`wal: segment ${segments[i].file} does not follow ${segments[i - 1].file}`);
    }
  }
  return segments;
}

/** Removes files a previous run left while preparing a segment (see SegmentPipeline). */
export function removePreparedFiles(dir: string): void {
  const leftovers = readdirSync(dir).filter(isPreparedFileName);
  for (const file of leftovers) rmSync(join(dir, file), { force: true });
  if (leftovers.length > 0) syncDir(dir);
}

/** The first segment of a new log: allocated to `segmentBytes`, under its name only once complete. */
export function createFirstSegment(dir: string, metadata: Buffer, segmentBytes: number): void {
  const crcRecord = encodeRecord({ type: RecordType.CRC, payload: encodeCrc(0) }, 0);
  const metaRecord = encodeRecord({ type: RecordType.METADATA, payload: metadata }, crcRecord.crc);
  const prepared = join(dir, preparedFileName(0));
  allocateFileSync(prepared, segmentBytes);
  closeSync(
    installSegment(dir, prepared, segmentFileName(0, 0), Buffer.concat([crcRecord.bytes, metaRecord.bytes])),
  );
}

export function readSegments(
  dir: string,
  segments: SegmentName[],
  fromIndex: number,
): { contents: WalContents; tail: WalTail } {
  const contents: WalContents = {
    metadata: undefined,
    hardState: undefined,
    entries: [],
    snapshot: undefined,
    repairedBytes: 0,
  };
  let crc = 0;
  let size = 0;
  let lastIndex = 0;
  for (let s = 0; s < segments.length; s++) {
    const file = segments[s].file;
    const path = join(dir, file);
    const buf = readFileSync(path);
    const isLast = s === segments.length - 1;
    let offset = 0;
    while (offset < buf.length) {
      // The first record read links to a segment that may have been released: adopt its seed.
      const seed = s === 0 && offset === 0 ? peekCrcSeed(buf) : crc;
      const result = decodeRecord(buf, offset, seed);
      if (result.kind !== 'record') {
        const dataEnd = endOfData(buf, offset);
        // Only zeros from here: allocated, never written. Records missing from an earlier
        // segment would still be caught, by the next segment's CRC record.
        if (dataEnd === offset) break;
        if (isLast && isTornTail(buf, offset, dataEnd, result)) {
          contents.repairedBytes = dataEnd - offset;
          zeroFile(path, offset, dataEnd);
          break;
        }
        throw new WalCorruptError(
          file,
          offset,
          result.kind === 'corrupt' ? result.reason : 'record cut short',
        );
      }
      const { record } = result;
      if (
        record.type === RecordType.CRC &&
        !(s === 0 && offset === 0) &&
        record.payload.readUInt32BE(0) !== crc
      ) {
        throw new WalCorruptError(file, offset, 'crc chain broken between segments');
      }
      crc = result.crc;
      offset = result.next;
      switch (record.type) {
        case RecordType.METADATA:
          contents.metadata = record.payload;
          break;
        case RecordType.STATE:
          contents.hardState = decodeHardState(record.payload);
          break;
        case RecordType.SNAPSHOT:
          contents.snapshot = decodeSnapshotMark(record.payload);
          break;
        case RecordType.ENTRY: {
          const entry = decodeEntry(record.payload);
          lastIndex = entry.index;
          const entries = contents.entries;
          // A rewritten index replaces it and everything after it (Raft truncated a conflict).
          while (entries.length > 0 && entries[entries.length - 1].index >= entry.index) entries.pop();
          if (entry.index > fromIndex) entries.push(entry);
          break;
        }
        case RecordType.CRC:
          break;
      }
    }
    if (isLast) size = Math.min(offset, buf.length);
  }
  return {
    contents,
    tail: { crc, size, lastIndex, state: contents.hardState, metadata: contents.metadata ?? Buffer.alloc(0) },
  };
}

function peekCrcSeed(buf: Buffer): number {
  // A CRC record: header, type byte, then the u32 seed.
  const at = RECORD_HEADER_BYTES + 1;
  return buf.length >= at + 4 && buf.readUInt8(RECORD_HEADER_BYTES) === RecordType.CRC
    ? buf.readUInt32BE(at)
    : 0;
}

/**
 * Whether a bad record at `offset` of the last segment, with data up to `dataEnd` and zeros
 * after, is the remains of an interrupted write: cut short by the end of the file, or a crc
 * mismatch on the last record written (its blocks were not all written: nothing but zeros
 * after it). A bad length, or a bad record with data after it, is corruption.
 */
function isTornTail(
  buf: Buffer,
  offset: number,
  dataEnd: number,
  result: { kind: 'truncated' } | { kind: 'corrupt'; reason: string },
): boolean {
  if (result.kind === 'truncated') return true;
  if (result.reason !== CRC_MISMATCH) return false;
  return offset + RECORD_HEADER_BYTES + buf.readUInt32BE(offset) >= dataEnd;
}

/**
 * Drops a torn write by zeroing it rather than truncating the file: the segment keeps its
 * allocated size, and the next append goes where the torn one began.
 */
function zeroFile(path: string, from: number, to: number): void {
  const fd = openSync(path, 'r+');
  try {
    zeroFillSync(fd, from, to);
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Enough of a segment's start for its header records (metadata is a member's identity: small). */
const HEADER_READ_BYTES = 64 * 1024;

/**
 * The metadata of the log in `dir`, from the header of its first segment only (every segment
 * begins with a CRC record then the metadata). Changes nothing: no repair, no preparation, and
 * the rest of the log, up to a preallocated 64 MiB per segment, is not read.
 */
export function readWalMetadata(dir: string): Buffer | undefined {
  const [first] = listSegments(dir);
  if (!first) return undefined;
  const buf = Buffer.alloc(HEADER_READ_BYTES);
  const fd = openSync(join(dir, first.file), 'r');
  let length: number;
  try {
    length = readSync(fd, buf, 0, buf.length, 0);
  } finally {
    closeSync(fd);
  }
  const head = buf.subarray(0, length);
  let crc = peekCrcSeed(head);
  for (let offset = 0; offset < head.length;) {
    const result = decodeRecord(head, offset, crc);
    if (result.kind !== 'record') {
      throw new WalCorruptError(
        first.file,
        offset,
        result.kind === 'corrupt' ? result.reason : 'header cut short',
      );
    }
    if (result.record.type === RecordType.METADATA) return result.record.payload;
    if (result.record.type !== RecordType.CRC) break;
    crc = result.crc;
    offset = result.next;
  }
  throw new WalCorruptError(first.file, 0, 'no metadata record in the segment header');
}

export function walExists(dir: string): boolean {
  return existsSync(dir) && listSegments(dir).length > 0;
}
