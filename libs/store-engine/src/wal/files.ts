/** Small synchronous file helpers the WAL and the snapshot files share. */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';

export function writeAll(fd: number, bytes: Buffer): void {
  let written = 0;
  while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
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
