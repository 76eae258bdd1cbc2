/*
 * Keys are binary. The in-memory index holds each key as a latin1 string: one UTF-16 code unit
 * per byte, so `<` on those strings orders keys exactly as bytes.Compare does, and the strings
 * can be Map keys. Values handed to callers are always Buffers.
 */

export type Bytes = Uint8Array;

export const EMPTY = Buffer.alloc(0);

export function toBuffer(bytes: Bytes | string | undefined): Buffer {
  if (bytes === undefined) return EMPTY;
  if (typeof bytes === 'string') return Buffer.from(bytes);
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function keyString(bytes: Bytes): string {
  return toBuffer(bytes).toString('latin1');
}

export function keyBytes(key: string): Buffer {
  return Buffer.from(key, 'latin1');
}

export function compareBytes(a: Bytes, b: Bytes): number {
  return Buffer.compare(toBuffer(a), toBuffer(b));
}

/**
 * The end of the interval a (key, rangeEnd) pair names, in etcd's terms:
 * no range end: the key alone; range end "\0": every key >= key; otherwise [key, rangeEnd).
 */
export type KeyInterval =
  | { kind: 'single'; key: string }
  | { kind: 'range'; start: string; end: string | undefined /* undefined: no upper bound */ };

export function keyInterval(key: Bytes, rangeEnd?: Bytes): KeyInterval {
  const start = keyString(key);
  if (rangeEnd === undefined || rangeEnd.length === 0) return { kind: 'single', key: start };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { kind: 'range', start, end: undefined };
  return { kind: 'range', start, end: keyString(rangeEnd) };
}

export function intervalContains(interval: KeyInterval, key: string): boolean {
  if (interval.kind === 'single') return key === interval.key;
  return key >= interval.start && (interval.end === undefined || key < interval.end);
}

/** The range end that selects every key with this prefix (etcd's clientv3.GetPrefixRangeEnd). */
export function prefixRangeEnd(prefix: Bytes): Buffer {
  const end = Buffer.from(toBuffer(prefix));
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}
