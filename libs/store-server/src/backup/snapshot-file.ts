/*
 * Files written by `etcdctl snapshot save` against skyroad-store: the member's backend (an
 * LMDB environment, not etcd's bbolt) followed by its SHA-256, as Maintenance.Snapshot streams
 * it. `skyroad-store snapshot status|restore` read them; etcdctl's own status/restore cannot.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoreEngine } from '@skyroad/store-engine';
import { MEMBERS_KEY } from '../cluster/identity';

/** The SHA-256 trailer after the backend bytes. */
export const SNAPSHOT_HASH_BYTES = 32;

export class SnapshotFileError extends Error {}

export interface SnapshotStatus {
  /** The key space's hash at `revision`, as `etcdctl endpoint hashkv` reports it for a member. */
  hash: number;
  revision: number;
  /** Keys alive at `revision`. */
  totalKey: number;
  /** Bytes of the file, trailer included. */
  totalSize: number;
}

/** The backend bytes of a snapshot file, after checking its SHA-256 (unless told not to). */
export function readSnapshotFile(path: string, skipHashCheck = false): Buffer {
  if (!existsSync(path)) throw new SnapshotFileError(`${path}: no such file`);
  const file = readFileSync(path);
  if (skipHashCheck) return file;
  if (file.length <= SNAPSHOT_HASH_BYTES)
    throw new SnapshotFileError(`${path}: too small for a snapshot (${file.length} bytes)`);
  const data = file.subarray(0, file.length - SNAPSHOT_HASH_BYTES);
  const expected = file.subarray(file.length - SNAPSHOT_HASH_BYTES);
  const actual = createHash('sha256').update(data).digest();
  if (!actual.equals(expected))
    throw new SnapshotFileError(
      `${path}: snapshot file integrity check failed: expected sha256 ${expected.toString('hex')}, ` +
        `got ${actual.toString('hex')} (a copy of a data dir's backend has no trailer: use --skip-hash-check)`,
    );
  return data;
}

/** Opens the snapshot's backend in a scratch directory and reads its revision, hash and size. */
export async function snapshotStatus(path: string): Promise<SnapshotStatus> {
  const data = readSnapshotFile(path);
  const scratch = await mkdtemp(join(tmpdir(), 'skyroad-snapshot-status-'));
  try {
    const engine = await openWith(scratch, data);
    try {
      const hashed = engine.store.hash(0);
      const live = engine.range({ key: Buffer.from([0]), rangeEnd: Buffer.from([0]), countOnly: true });
      return {
        hash: hashed.hash,
        revision: hashed.revision,
        totalKey: live.count,
        totalSize: statSync(path).size,
      };
    } finally {
      await engine.close();
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export interface RestoreResult {
  dataDir: string;
  revision: number;
}

/**
 * Makes `dataDir` hold the snapshot's key space, ready to be the data dir of a member of a NEW
 * cluster (etcd's `snapshot restore`): the Raft position and the old member list are dropped,
 * so the first start bootstraps from --initial-cluster and applies the new log from index 1.
 * Every member of the new cluster must be restored from the same file.
 */
export async function restoreSnapshot(
  path: string,
  dataDir: string,
  skipHashCheck = false,
): Promise<RestoreResult> {
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0)
    throw new SnapshotFileError(`data-dir "${dataDir}" exists and is not empty`);
  const data = readSnapshotFile(path, skipHashCheck);
  const created = !existsSync(dataDir);
  mkdirSync(dataDir, { recursive: true });
  try {
    const engine = await openWith(dataDir, data);
    try {
      engine.detachFromRaftLog();
      engine.backend.write(() => engine.backend.bucket('ext').delete(MEMBERS_KEY));
      await engine.backend.flushed();
      return { dataDir, revision: engine.store.currentRevision };
    } finally {
      await engine.close();
    }
  } catch (error) {
    // The directory was new or empty: leave it as it was.
    if (created) rmSync(dataDir, { recursive: true, force: true });
    else
      for (const entry of readdirSync(dataDir))
        rmSync(join(dataDir, entry), { recursive: true, force: true });
    throw error;
  }
}

/*
 * LMDB trusts its file: a file that is not one can crash the process instead of failing. So the
 * bytes must at least start with LMDB's meta page (magic 0xBEEFC0DE after the page header) and
 * hold both meta pages; past that, the SHA-256 check stands for the rest.
 */
const LMDB_MAGIC = 0xbeefc0de;
const LMDB_MAGIC_OFFSET = 0x18;
const LMDB_MIN_BYTES = 2 * 4096;

function looksLikeLmdb(data: Buffer): boolean {
  return data.length >= LMDB_MIN_BYTES && data.readUInt32LE(LMDB_MAGIC_OFFSET) === LMDB_MAGIC;
}

async function openWith(dataDir: string, data: Buffer): Promise<StoreEngine> {
  if (!looksLikeLmdb(data)) throw new SnapshotFileError('not a skyroad-store snapshot (no LMDB meta page)');
  const engine = StoreEngine.open({ dataDir });
  try {
    await engine.restoreSnapshot(data);
  } catch (error) {
    await engine.close();
    throw new SnapshotFileError(`not a skyroad-store snapshot: ${(error as Error).message}`);
  }
  return engine;
}
