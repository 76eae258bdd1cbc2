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
/** An entry record's payload: term (f64) | index (f64) | type (u8) | data. */
const ENTRY_FIXED_BYTES = 8 + 8 + 1;

export interface WalRecord {
  type: RecordType;
  payload: Buffer;
}

/**
 * Records laid out in one buffer, their crcs still zero: the caller seals them (sealRecords)
 * once the chain's value before them is known. A save encodes all its records here: one
 * allocation, from Node's pool when small, instead of four per record.
 */
export class RecordLayout {
  readonly bytes: Buffer;
  private at = 0;

  constructor(size: number) {
    this.bytes = Buffer.allocUnsafe(size);
  }

  /** Bytes a record whose payload is `payloadBytes` long takes. */
  static sizeOf(payloadBytes: number): number {
    return RECORD_HEADER_BYTES + 1 + payloadBytes;
  }

  /** A layout of `record` alone. */
  static of(record: WalRecord): RecordLayout {
    const layout = new RecordLayout(RecordLayout.sizeOf(record.payload.length));
    layout.add(record);
    return layout;
  }

  /** Starts a record of `payloadBytes`; returns where its payload goes. */
  private begin(type: RecordType, payloadBytes: number): number {
    const at = this.at;
    this.bytes.writeUInt32BE(1 + payloadBytes, at);
    this.bytes.writeUInt32BE(0, at + 4);
    this.bytes[at + RECORD_HEADER_BYTES] = type;
    this.at = at + RecordLayout.sizeOf(payloadBytes);
    return at + RECORD_HEADER_BYTES + 1;
  }

  add(record: WalRecord): void {
    record.payload.copy(this.bytes, this.begin(record.type, record.payload.length));
  }

  addEntry(entry: Entry): void {
    const at = this.begin(RecordType.ENTRY, entryPayloadBytes(entry));
    this.bytes.writeDoubleBE(entry.term, at);
    this.bytes.writeDoubleBE(entry.index, at + 8);
    this.bytes[at + 16] = entry.type;
    this.bytes.set(entry.data, at + ENTRY_FIXED_BYTES);
  }

  /** Every byte written (a layout is sized exactly: anything else is a bug). */
  get complete(): boolean {
    return this.at === this.bytes.length;
  }
}

/** Fills in the crcs of the records in `bytes`, chained from `prevCrc`; returns the last one. */
export function sealRecords(bytes: Buffer, prevCrc: number): number {
  let crc = prevCrc;
  for (let at = 0; at < bytes.length;) {
    const end = at + RECORD_HEADER_BYTES + bytes.readUInt32BE(at);
    crc = crc32(bytes.subarray(at + RECORD_HEADER_BYTES, end), crc);
    bytes.writeUInt32BE(crc, at + 4);
    at = end;
  }
  return crc;
}

export function encodeRecord(record: WalRecord, prevCrc: number): { bytes: Buffer; crc: number } {
  const { bytes } = RecordLayout.of(record);
  return { bytes, crc: sealRecords(bytes, prevCrc) };
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

export function entryPayloadBytes(entry: Entry): number {
  return ENTRY_FIXED_BYTES + entry.data.byteLength;
}

export function decodeEntry(payload: Buffer): Entry {
  return {
    term: payload.readDoubleBE(0),
    index: payload.readDoubleBE(8),
    type: payload.readUInt8(16),
    data: Buffer.from(payload.subarray(ENTRY_FIXED_BYTES)),
  };
}

export const HARD_STATE_BYTES = 24;

export function encodeHardState(state: HardState): Buffer {
  const out = Buffer.allocUnsafe(HARD_STATE_BYTES);
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
