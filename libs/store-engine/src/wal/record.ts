/*
 * WAL records. On disk each record is
 *   length (u32 BE, bytes of type + payload) | crc (u32 BE) | type (u8) | payload
 * where crc is CRC-32 of type + payload seeded with the previous record's crc: the chain makes
 * a record that was moved, dropped or replayed from another log fail the check (etcd's wal
 * uses the same chaining). A segment starts with a CRC record carrying the chain's value at
 * the end of the previous segment.
 */
import { crc32 } from 'node:zlib';
import type { Entry, HardState } from '@skyroad/raft';

export enum RecordType {
  /** Opaque bytes the server keeps with the log (member and cluster ids). */
  METADATA = 1,
  ENTRY = 2,
  STATE = 3,
  /** The chain's crc at the end of the previous segment. */
  CRC = 4,
  /** A snapshot was taken at (index, term): older entries may be released. */
  SNAPSHOT = 5,
}

export const RECORD_HEADER_BYTES = 8;
export const CRC_MISMATCH = 'crc mismatch';
/** No record is larger than this; a length above it is corruption, not a big record. */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

export interface WalRecord {
  type: RecordType;
  payload: Buffer;
}

export function encodeRecord(record: WalRecord, prevCrc: number): { bytes: Buffer; crc: number } {
  const body = Buffer.alloc(1 + record.payload.length);
  body.writeUInt8(record.type, 0);
  record.payload.copy(body, 1);
  const crc = crc32(body, prevCrc);
  const header = Buffer.alloc(RECORD_HEADER_BYTES);
  header.writeUInt32BE(body.length, 0);
  header.writeUInt32BE(crc, 4);
  return { bytes: Buffer.concat([header, body]), crc };
}

export type DecodeResult =
  | { kind: 'record'; record: WalRecord; crc: number; next: number }
  /** The bytes end inside this record: a write cut short. */
  | { kind: 'truncated' }
  | { kind: 'corrupt'; reason: string };

export function decodeRecord(buf: Buffer, offset: number, prevCrc: number): DecodeResult {
  if (offset + RECORD_HEADER_BYTES > buf.length) return { kind: 'truncated' };
  const length = buf.readUInt32BE(offset);
  const expected = buf.readUInt32BE(offset + 4);
  if (length === 0 || length > MAX_RECORD_BYTES)
    return { kind: 'corrupt', reason: `bad record length ${length}` };
  const end = offset + RECORD_HEADER_BYTES + length;
  if (end > buf.length) return { kind: 'truncated' };
  const body = buf.subarray(offset + RECORD_HEADER_BYTES, end);
  const crc = crc32(body, prevCrc);
  if (crc !== expected) return { kind: 'corrupt', reason: CRC_MISMATCH };
  const type = body.readUInt8(0) as RecordType;
  if (!(type in RecordType)) return { kind: 'corrupt', reason: `unknown record type ${type}` };
  return { kind: 'record', record: { type, payload: Buffer.from(body.subarray(1)) }, crc, next: end };
}

// ---- payloads ----

const ENTRY_FIXED_BYTES = 8 + 8 + 1;

export function encodeEntry(entry: Entry): Buffer {
  const out = Buffer.alloc(ENTRY_FIXED_BYTES + entry.data.byteLength);
  out.writeDoubleBE(entry.term, 0);
  out.writeDoubleBE(entry.index, 8);
  out.writeUInt8(entry.type, 16);
  Buffer.from(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength).copy(out, ENTRY_FIXED_BYTES);
  return out;
}

export function decodeEntry(payload: Buffer): Entry {
  return {
    term: payload.readDoubleBE(0),
    index: payload.readDoubleBE(8),
    type: payload.readUInt8(16),
    data: Buffer.from(payload.subarray(ENTRY_FIXED_BYTES)),
  };
}

export function encodeHardState(state: HardState): Buffer {
  const out = Buffer.alloc(24);
  out.writeDoubleBE(state.term, 0);
  out.writeDoubleBE(state.vote, 8);
  out.writeDoubleBE(state.commit, 16);
  return out;
}

export function decodeHardState(payload: Buffer): HardState {
  return { term: payload.readDoubleBE(0), vote: payload.readDoubleBE(8), commit: payload.readDoubleBE(16) };
}

export interface WalSnapshotMark {
  index: number;
  term: number;
}

export function encodeSnapshotMark(mark: WalSnapshotMark): Buffer {
  const out = Buffer.alloc(16);
  out.writeDoubleBE(mark.index, 0);
  out.writeDoubleBE(mark.term, 8);
  return out;
}

export function decodeSnapshotMark(payload: Buffer): WalSnapshotMark {
  return { index: payload.readDoubleBE(0), term: payload.readDoubleBE(8) };
}

export function encodeCrc(crc: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc, 0);
  return out;
}
