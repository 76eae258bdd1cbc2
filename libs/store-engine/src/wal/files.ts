/** Small synchronous file helpers the WAL and the snapshot files share. */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';

/** Writes all of `bytes` at the file's current offset, or at `position` when given. */
export function writeAll(fd: number, bytes: Buffer, position?: number): void {
  let written = 0;
  while (written < bytes.length) {
    const at = position === undefined ? null : position + written;
    written += writeSync(fd, bytes, written, bytes.length - written, at);
  }
}

/** Makes a created, renamed or deleted file's directory entry durable. */
export function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
