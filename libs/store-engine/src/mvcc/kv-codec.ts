/*
 * How a key's state at one revision is stored as the value of the `key` bucket. A tombstone
 * (the revision that deleted a key) is flagged so a restart can rebuild the index's generations.
 */
import type { KeyValue } from './types';

const TOMBSTONE_FLAG = 1;
const FIXED_BYTES = 1 + 4 + 4 + 8 * 4;

export interface StoredKeyValue {
  kv: KeyValue;
  tombstone: boolean;
}

export function encodeStoredKeyValue(kv: KeyValue, tombstone: boolean): Buffer {
  const out = Buffer.alloc(FIXED_BYTES + kv.key.length + kv.value.length);
  let at = out.writeUInt8(tombstone ? TOMBSTONE_FLAG : 0, 0);
  at = out.writeUInt32BE(kv.key.length, at);
  at += kv.key.copy(out, at);
  at = out.writeUInt32BE(kv.value.length, at);
  at += kv.value.copy(out, at);
  at = out.writeDoubleBE(kv.createRevision, at);
  at = out.writeDoubleBE(kv.modRevision, at);
  at = out.writeDoubleBE(kv.version, at);
  out.writeBigInt64BE(kv.lease, at);
  return out;
}

export function decodeStoredKeyValue(bytes: Uint8Array): StoredKeyValue {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tombstone = (buf.readUInt8(0) & TOMBSTONE_FLAG) !== 0;
  let at = 1;
  const keyLength = buf.readUInt32BE(at);
  at += 4;
  const key = Buffer.from(buf.subarray(at, at + keyLength));
  at += keyLength;
  const valueLength = buf.readUInt32BE(at);
  at += 4;
  const value = Buffer.from(buf.subarray(at, at + valueLength));
  at += valueLength;
  const createRevision = buf.readDoubleBE(at);
  const modRevision = buf.readDoubleBE(at + 8);
  const version = buf.readDoubleBE(at + 16);
  const lease = buf.readBigInt64BE(at + 24);
  return { kv: { key, value, createRevision, modRevision, version, lease }, tombstone };
}
