/*
 * The durable applied state: one LMDB environment (a memory-mapped B+tree, playing the part of
 * etcd's bbolt) with one sub-database per bucket. A batch of applied Raft entries is one write
 * transaction (`write`), which is what makes "the data and the consistent index change
 * together" true. As in etcd, the WAL makes an acknowledged write durable, not the backend:
 * commits are not fsynced one by one (that costs milliseconds each); the file is synced every
 * BACKEND_SYNC_INTERVAL_MS (etcd's batch interval) and by `flushed()`, which the server awaits
 * before releasing WAL segments. A killed process loses nothing committed (the pages are in the
 * OS); after a power loss the WAL replays whatever the backend had not synced.
 */
import { createReadStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { open as openFile, readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { syncDir } from '../wal/files';

/** The buckets of etcd's schema that this engine keeps, plus `ext` for the server's records. */
export const BUCKETS = ['key', 'meta', 'lease', 'alarm', 'ext'] as const;
export type BucketName = (typeof BUCKETS)[number];

export const BACKEND_DIR_NAME = 'backend';
const DATA_FILE = 'data.mdb';
/** LMDB reserves address space, not disk; it grows the map itself when this is outgrown. */
const INITIAL_MAP_BYTES = 256 * 1024 * 1024;
/** How often committed transactions are synced to disk (etcd's backend batch interval). */
export const BACKEND_SYNC_INTERVAL_MS = 100;

export class BackendBusyError extends Error {
  constructor() {
    super('backend: the data file is being replaced (defragment or restore); write after it finishes');
    this.name = 'BackendBusyError';
  }
}

export interface BackendEntry {
  key: Buffer;
  value: Buffer;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** One bucket: binary keys in byte order, binary values. */
export class Bucket {
  constructor(private readonly db: Database<Buffer, Buffer>) {}

  get(key: Uint8Array): Buffer | undefined {
    return this.db.get(asBuffer(key));
  }

  /** The value in a buffer LMDB reuses: valid only until the next read. For decode-at-once callers. */
  getTransient(key: Uint8Array): Buffer | undefined {
    return (
      this.db as Database<Buffer, Buffer> & { getBinaryFast(key: Buffer): Buffer | undefined }
    ).getBinaryFast(asBuffer(key));
  }

  put(key: Uint8Array, value: Uint8Array): void {
    this.db.putSync(asBuffer(key), asBuffer(value));
  }

  delete(key: Uint8Array): void {
    this.db.removeSync(asBuffer(key));
  }

  /** Entries with start <= key < end (no end: to the last key), in key order. */
  *range(start?: Uint8Array, end?: Uint8Array): Generator<BackendEntry> {
    const options: { start?: Buffer; end?: Buffer } = {};
    if (start !== undefined && start.length > 0) options.start = Buffer.from(start);
    if (end !== undefined) options.end = Buffer.from(end);
    for (const { key, value } of this.db.getRange(options))
      yield { key: key as Buffer, value: value as Buffer };
  }

  count(): number {
    return this.db.getCount();
  }
}

export interface BackendOptions {
  /** fsync every commit (LMDB's default durability) instead of every BACKEND_SYNC_INTERVAL_MS. */
  syncEveryCommit?: boolean;
  syncIntervalMs?: number;
}

/** The parts of lmdb-js's native environment (RootDatabase.env) that sizeBytes() reads. */
interface LmdbNativeEnv {
  stat(): { pageSize: number };
  info(): { lastPageNumber: number };
}

export class Backend {
  private env!: RootDatabase;
  private buckets = new Map<BucketName, Bucket>();
  private writeDepth = 0;
  /** Set while the data file is being replaced (defragment, restore): no writes then. */
  private replacing = false;
  private replaced: Promise<void> = Promise.resolve();
  private envOpen = false;
  private dirty = false;
  private snapshotSeq = 0;
  /** The open environment's page size, once sizeBytes() has read it. */
  private pageSize: number | undefined;
  private readonly syncTimer: NodeJS.Timeout;

  private constructor(
    readonly dir: string,
    private readonly options: BackendOptions,
  ) {
    this.openEnv();
    this.syncTimer = setInterval(() => {
      if (this.dirty && this.envOpen && !this.replacing) void this.flushed().catch(() => undefined);
    }, options.syncIntervalMs ?? BACKEND_SYNC_INTERVAL_MS);
    this.syncTimer.unref();
  }

  /** Opens (creating if needed) the backend in `<dir>`. */
  static open(dir: string, options: BackendOptions = {}): Backend {
    mkdirSync(dir, { recursive: true });
    return new Backend(dir, options);
  }

  bucket(name: BucketName): Bucket {
    const bucket = this.buckets.get(name);
    if (!bucket) throw new Error(`backend: unknown bucket ${name}`);
    return bucket;
  }

  /** Runs `fn` in one write transaction (nested calls join the outer one); all or nothing. */
  write<T>(fn: () => T): T {
    if (this.writeDepth > 0) return fn();
    if (this.replacing) throw new BackendBusyError();
    this.writeDepth++;
    try {
      const result = this.env.transactionSync(fn);
      this.dirty = true;
      return result;
    } finally {
      this.writeDepth--;
    }
  }

  get inWriteTransaction(): boolean {
    return this.writeDepth > 0;
  }

  /** True while defragment() or restore() runs: the caller must wait before writing. */
  get busy(): boolean {
    return this.replacing;
  }

  /** Resolves once every committed transaction is on disk. */
  flushed(): Promise<void> {
    this.dirty = false;
    const env = this.env as RootDatabase & { sync(callback: (error?: Error) => void): void };
    return new Promise((resolve, reject) => env.sync((error) => (error ? reject(error) : resolve())));
  }

  /** Bytes of the data file in use (pages up to the last one written), what the quota counts. */
  sizeBytes(): number {
    // The quota check asks on every write. lmdb-js's getStats() also walks the free list
    // (~25 µs and growing with the file); the environment's info holds what we need, and the
    // page size (its stat, as costly again) is read once per environment.
    const native = (this.env as unknown as { env: LmdbNativeEnv }).env;
    this.pageSize ??= native.stat().pageSize;
    return this.pageSize * (native.info().lastPageNumber + 1);
  }

  /** Size of the data file on disk. */
  fileBytes(): number {
    return statSync(join(this.dir, DATA_FILE)).size;
  }

  /**
   * A consistent copy of the whole backend (compacted), e.g. for a snapshot sent to a follower.
   * Read asynchronously: a large backend must not block the event loop (and the Raft loop).
   */
  async snapshot(): Promise<Buffer> {
    const tmp = await this.copyToTempFile();
    try {
      return await readFile(tmp);
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  /**
   * The same copy as a byte stream, for Maintenance.Snapshot: it is read from a temporary
   * file (removed when the stream ends or is destroyed), so a large backend is not held in memory.
   */
  async snapshotStream(): Promise<Readable> {
    const tmp = await this.copyToTempFile();
    const stream = createReadStream(tmp);
    stream.once('close', () => rmSync(tmp, { force: true }));
    return stream;
  }

  private async copyToTempFile(): Promise<string> {
    const tmp = join(this.dir, `snapshot-${process.pid}-${++this.snapshotSeq}.tmp`);
    rmSync(tmp, { force: true });
    await this.env.backup(tmp, true);
    return tmp;
  }

  /** Replaces the whole backend with a snapshot made by `snapshot()`. */
  async restore(data: Uint8Array): Promise<void> {
    await this.replaceDataFile(async () => {
      const tmp = join(this.dir, `${DATA_FILE}.restore`);
      // Written off the event loop and synced before the rename: once a snapshot record says
      // the log before its index is not needed, this file must be whole on disk.
      const file = await openFile(tmp, 'w');
      try {
        await file.writeFile(data);
        await file.sync();
      } finally {
        await file.close();
      }
      await this.closeEnv();
      renameSync(tmp, join(this.dir, DATA_FILE));
      rmSync(join(this.dir, `${DATA_FILE}-lock`), { force: true });
      syncDir(this.dir);
    });
  }

  /** Copy-compacts the data file (etcd's defrag): the space freed by compaction goes back to the OS. */
  async defragment(): Promise<void> {
    await this.replaceDataFile(async () => {
      const tmp = join(this.dir, `${DATA_FILE}.defrag`);
      rmSync(tmp, { force: true });
      // No write may land between the copy and the swap, or it would be lost: `replacing` holds them off.
      await this.env.backup(tmp, true);
      await this.closeEnv();
      renameSync(tmp, join(this.dir, DATA_FILE));
    });
  }

  /** Resolves when writes are possible (at once, unless defragment() or restore() runs). */
  writable(): Promise<void> {
    return this.replaced;
  }

  private async replaceDataFile(replace: () => Promise<void>): Promise<void> {
    if (this.replacing) throw new BackendBusyError();
    this.replacing = true;
    let done!: () => void;
    this.replaced = new Promise((resolve) => (done = resolve));
    try {
      await replace();
    } finally {
      if (!this.envOpen) this.openEnv();
      this.replacing = false;
      done();
    }
  }

  private async closeEnv(): Promise<void> {
    this.envOpen = false;
    await this.env.close();
  }

  async close(): Promise<void> {
    clearInterval(this.syncTimer);
    if (this.envOpen) await this.closeEnv();
  }

  private openEnv(): void {
    this.pageSize = undefined;
    const path = join(this.dir, DATA_FILE);
    this.env = open({
      path,
      mapSize: INITIAL_MAP_BYTES,
      noSubdir: true,
      noSync: !(this.options.syncEveryCommit ?? false),
      keyEncoding: 'binary',
      encoding: 'binary',
    });
    this.buckets = new Map();
    for (const name of BUCKETS) {
      const db = this.env.openDB<Buffer, Buffer>(name, { keyEncoding: 'binary', encoding: 'binary' });
      this.buckets.set(name, new Bucket(db));
    }
    this.envOpen = true;
  }

  static exists(dir: string): boolean {
    return existsSync(join(dir, DATA_FILE));
  }
}
