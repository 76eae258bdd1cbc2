/*
 * Raft snapshot files (etcd's snap package): `<term>-<index>.snap`, each
 *   crc (u32 BE, CRC-32 of the rest) | metadata length (u32 BE) | metadata JSON | data
 * written to a temporary file, fsynced and renamed into place, so a file either is whole or
 * is not there. load() returns the newest snapshot whose crc checks; a damaged one is renamed
 * `.broken` and the next older one is tried.
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Snapshot, SnapshotMetadata } from '@skyroad/raft';
import { syncDir, writeAll } from '../wal/files';

const SNAP_NAME = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/;
const HEADER_BYTES = 8;
/** Snapshot files kept after a new one is saved (etcd keeps 5 by default). */
export const MAX_SNAPSHOT_FILES = 5;

export class Snapshotter {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  save(snapshot: Snapshot): string {
    const { index, term } = snapshot.metadata;
    const name = `${hex(term)}-${hex(index)}.snap`;
    const meta = Buffer.from(JSON.stringify(snapshot.metadata), 'utf8');
    const body = Buffer.alloc(4 + meta.length + snapshot.data.byteLength);
    body.writeUInt32BE(meta.length, 0);
    meta.copy(body, 4);
    Buffer.from(snapshot.data.buffer, snapshot.data.byteOffset, snapshot.data.byteLength).copy(
      body,
      4 + meta.length,
    );
    const header = Buffer.alloc(4);
    header.writeUInt32BE(crc32(body), 0);
    const tmp = join(this.dir, `${name}.tmp`);
    const fd = openSync(tmp, 'w');
    try {
      writeAll(fd, header);
      writeAll(fd, body);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(this.dir, name));
    syncDir(this.dir);
    this.purge();
    return name;
  }

  /** The newest intact snapshot, or undefined when there is none. */
  load(): Snapshot | undefined {
    for (const name of this.names().reverse()) {
      const snapshot = this.read(name);
      if (snapshot) return snapshot;
      renameSync(join(this.dir, name), join(this.dir, `${name}.broken`));
    }
    return undefined;
  }

  private read(name: string): Snapshot | undefined {
    const buf = readFileSync(join(this.dir, name));
    if (buf.length < HEADER_BYTES) return undefined;
    const body = buf.subarray(4);
    if (crc32(body) !== buf.readUInt32BE(0)) return undefined;
    const metaLength = body.readUInt32BE(0);
    const metadata = JSON.parse(body.subarray(4, 4 + metaLength).toString('utf8')) as SnapshotMetadata;
    return { metadata, data: Buffer.from(body.subarray(4 + metaLength)) };
  }

  private names(): string[] {
    return readdirSync(this.dir)
      .filter((f) => SNAP_NAME.test(f))
      .sort((a, b) => snapIndex(a) - snapIndex(b) || a.localeCompare(b));
  }

  private purge(): void {
    const names = this.names();
    for (const name of names.slice(0, Math.max(0, names.length - MAX_SNAPSHOT_FILES))) {
      rmSync(join(this.dir, name), { force: true });
    }
  }
}

function snapIndex(name: string): number {
  return parseInt(SNAP_NAME.exec(name)![2], 16);
}

function hex(n: number): string {
  return n.toString(16).padStart(16, '0');
}
