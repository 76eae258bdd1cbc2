/** Segment files are named as etcd's: `<seq>-<first index>.wal`, both 16 hex digits. */

const SEGMENT_NAME = /^([0-9a-f]{16})-([0-9a-f]{16})\.wal$/;

export interface SegmentName {
  seq: number;
  /** The index of the first entry this segment may hold. */
  index: number;
  file: string;
}

export function segmentFileName(seq: number, index: number): string {
  return `${seq.toString(16).padStart(16, '0')}-${index.toString(16).padStart(16, '0')}.wal`;
}

export function parseSegmentName(file: string): SegmentName | undefined {
  const match = SEGMENT_NAME.exec(file);
  if (!match) return undefined;
  return { seq: parseInt(match[1], 16), index: parseInt(match[2], 16), file };
}

/**
 * A segment file being prepared (zero-filled) before it is renamed into place. The name must
 * never match a segment's: a half-prepared file is not part of the log, and leftovers are
 * removed at open.
 */
const PREPARED_NAME = /^[0-9a-f]{16}\.wal\.tmp$/;

export function preparedFileName(seq: number): string {
  return `${seq.toString(16).padStart(16, '0')}.wal.tmp`;
}

export function isPreparedFileName(file: string): boolean {
  return PREPARED_NAME.test(file);
}
