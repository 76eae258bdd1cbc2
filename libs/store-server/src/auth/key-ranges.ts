/*
 * Key ranges as etcd writes them: [key, rangeEnd) where an empty rangeEnd means the single
 * key and "\0" means every key from `key` on.
 */

export interface KeyRange {
  start: Buffer;
  /** Exclusive; undefined means unbounded. */
  end: Buffer | undefined;
}

const ZERO = Buffer.from([0]);

export function toRange(key: Buffer, rangeEnd: Buffer): KeyRange {
  if (rangeEnd.length === 0) return { start: key, end: Buffer.concat([key, ZERO]) };
  if (rangeEnd.equals(ZERO)) return { start: key, end: undefined };
  return { start: key, end: rangeEnd };
}

/** Whether the union of `granted` covers all of `wanted`. */
export function covered(wanted: KeyRange, granted: KeyRange[]): boolean {
  const sorted = [...granted].sort((a, b) => Buffer.compare(a.start, b.start));
  // Everything in [wanted.start, reach) is covered so far.
  let reach: Buffer = wanted.start;
  for (const r of sorted) {
    if (Buffer.compare(r.start, reach) > 0) return false;
    if (r.end === undefined) return true;
    if (Buffer.compare(r.end, reach) > 0) reach = r.end;
    if (wanted.end !== undefined && Buffer.compare(reach, wanted.end) >= 0) return true;
  }
  return false;
}
