/*
 * Reading a WAL directory at open: the segments in sequence, every record checked against the
 * CRC chain, the last write repaired if a crash cut it short (see isTornTail), anything else
 * refused with the file and offset.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readdirSync,
  readFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Entry, HardState } from '@skyroad/raft';
import { writeAll, syncDir } from './files';
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
import { parseSegmentName, segmentFileName, type SegmentName } from './segment-name';

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
  /** Bytes dropped from the end of the last segment because its last write was cut short. */
  repairedBytes: number;
}

/** Where writing goes on after the last good record. */
export interface WalTail {
  crc: number;
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

export function createFirstSegment(dir: string, metadata: Buffer): void {
  const crcRecord = encodeRecord({ type: RecordType.CRC, payload: encodeCrc(0) }, 0);
  const metaRecord = encodeRecord({ type: RecordType.METADATA, payload: metadata }, crcRecord.crc);
  const fd = openSync(join(dir, segmentFileName(0, 0)), 'wx');
  try {
    writeAll(fd, Buffer.concat([crcRecord.bytes, metaRecord.bytes]));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  syncDir(dir);
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
        if (isLast && isTornTail(buf, offset, result)) {
          contents.repairedBytes = buf.length - offset;
          truncateFile(path, offset);
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
 * Whether a bad record at `offset` of the last segment is the remains of an interrupted write:
 * cut short by the end of the file, or zeros from there on (space allocated, never written), or
 * a crc mismatch on the very last record of the file (its blocks were not all written). A bad
 * length, or a bad record with good ones after it, is corruption.
 */
function isTornTail(
  buf: Buffer,
  offset: number,
  result: { kind: 'truncated' } | { kind: 'corrupt'; reason: string },
): boolean {
  if (result.kind === 'truncated') return true;
  if (buf.subarray(offset).every((byte) => byte === 0)) return true;
  if (result.reason !== CRC_MISMATCH) return false;
  return offset + RECORD_HEADER_BYTES + buf.readUInt32BE(offset) === buf.length;
}

function truncateFile(path: string, length: number): void {
  const fd = openSync(path, 'r+');
  try {
    ftruncateSync(fd, length);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function walExists(dir: string): boolean {
  return existsSync(dir) && listSegments(dir).length > 0;
}
