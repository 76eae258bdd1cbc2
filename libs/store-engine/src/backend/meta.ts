/*
 * Named numbers in the `meta` bucket: the consistent index (the last Raft entry applied), the
 * current and compacted revisions. Each is written in the same transaction as the change it
 * describes.
 */
import type { Backend } from './backend';

export const META_CONSISTENT_INDEX = 'consistent_index';
export const META_CONSISTENT_TERM = 'term';
export const META_CURRENT_REVISION = 'current_revision';
/** The compaction whose deletions are all done. */
export const META_COMPACT_REVISION = 'finishedCompactRev';
/** The latest compaction applied (its deletions may still be under way). */
export const META_SCHEDULED_COMPACT_REVISION = 'scheduledCompactRev';

/** Each name's key bytes, made once: the consistent index and revision are written on every apply. */
const metaKeys = new Map<string, Buffer>();

function metaKey(name: string): Buffer {
  let key = metaKeys.get(name);
  if (!key) metaKeys.set(name, (key = Buffer.from(name)));
  return key;
}

export function readMetaNumber(backend: Backend, name: string): number {
  const raw = backend.bucket('meta').get(metaKey(name));
  return raw === undefined ? 0 : raw.readDoubleBE(0);
}

export function writeMetaNumber(backend: Backend, name: string, value: number): void {
  const raw = Buffer.allocUnsafe(8);
  raw.writeDoubleBE(value, 0);
  backend.bucket('meta').put(metaKey(name), raw);
}
