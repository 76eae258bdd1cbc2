/*
 * A revision is (main, sub): main grows by one per write transaction, sub numbers the changes
 * inside it. In the backend a revision is 16 bytes, both parts big-endian, so the byte order of
 * the keys in the `key` bucket is revision order (etcd's revision.go).
 */

export interface Revision {
  main: number;
  sub: number;
}

export const REVISION_BYTES = 16;

export function compareRevisions(a: Revision, b: Revision): number {
  return a.main !== b.main ? a.main - b.main : a.sub - b.sub;
}

const TWO_TO_32 = 2 ** 32;

// Each u64 is written as two u32 halves: revisions stay below 2^53, and this avoids BigInt.
function writeU64(out: Buffer, value: number, at: number): void {
  out.writeUInt32BE(Math.floor(value / TWO_TO_32), at);
  out.writeUInt32BE(value % TWO_TO_32, at + 4);
}

function readU64(buf: Buffer, at: number): number {
  return buf.readUInt32BE(at) * TWO_TO_32 + buf.readUInt32BE(at + 4);
}

export function revisionToBytes(rev: Revision): Buffer {
  const out = Buffer.allocUnsafe(REVISION_BYTES);
  writeU64(out, rev.main, 0);
  writeU64(out, rev.sub, 8);
  return out;
}

export function bytesToRevision(bytes: Uint8Array): Revision {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { main: readU64(buf, 0), sub: readU64(buf, 8) };
}
