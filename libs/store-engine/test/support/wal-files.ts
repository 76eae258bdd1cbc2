/** Looking at and damaging WAL segment files in tests. */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';

/** The offset just past the last byte that is not zero: where a preallocated segment's records end. */
export function dataEnd(file: string): number {
  const bytes = readFileSync(file);
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return end;
}

/** Overwrites `file` at `offset` with `bytes` (as a write the crash interrupted would have). */
export function writeAt(file: string, offset: number, bytes: Buffer): void {
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}
