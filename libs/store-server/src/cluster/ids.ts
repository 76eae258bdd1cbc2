import { createHash } from 'node:crypto';

/*
 * Member and cluster ids, derived as etcd derives them: a member id is the first 8 bytes of
 * sha1(sorted peer URLs + cluster token [+ time, for members added later]); the cluster id
 * is the first 8 bytes of sha1 over the member ids. The Raft core names nodes with JavaScript
 * numbers, so member ids keep their low 52 bits: still 64-bit ids on the wire (printed in hex
 * by etcdctl), and exact as numbers.
 */

const MEMBER_ID_BITS = 52n;
const MEMBER_ID_MASK = (1n << MEMBER_ID_BITS) - 1n;

function first8(buffer: Buffer): bigint {
  return buffer.readBigUInt64BE(0);
}

export function memberIdFor(peerUrls: readonly string[], clusterToken: string, addedAtMs?: number): number {
  const hash = createHash('sha1');
  hash.update([...peerUrls].sort().join(''));
  hash.update(clusterToken);
  if (addedAtMs !== undefined) hash.update(String(addedAtMs));
  const id = Number(first8(hash.digest()) & MEMBER_ID_MASK);
  return id === 0 ? 1 : id;
}

export function clusterIdFor(memberIds: readonly number[]): bigint {
  const hash = createHash('sha1');
  for (const id of [...memberIds].sort((a, b) => a - b)) {
    const bytes = Buffer.alloc(8);
    bytes.writeBigUInt64BE(BigInt(id));
    hash.update(bytes);
  }
  return first8(hash.digest());
}

export function hexId(id: number | bigint): string {
  return BigInt(id).toString(16);
}
