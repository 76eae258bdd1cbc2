/*
 * The durable applied state: one LMDB environment (a memory-mapped B+tree, playing the part of
 * etcd's bbolt) with one sub-database per bucket. A batch of applied Raft entries is one write
 * transaction (`write`), which is what makes "the data and the consistent index change
 * together" true. As in etcd's batch transaction, a transaction's changes are first kept in
 * memory (`PendingWrites`, read through by every read) and committed to LMDB together with the
 * next ones, up to BACKEND_BATCH_LIMIT changes or BACKEND_SYNC_INTERVAL_MS: an LMDB commit
 * writes every page it touched (about six writes), which as one commit per Ready cost about a
 * tenth of a one-client put. As in etcd, the WAL
 * makes an acknowledged write durable, not the backend: commits are not fsynced one by one; the
 * file is synced every BACKEND_SYNC_INTERVAL_MS and by `flushed()`, which the server awaits
 * before releasing WAL segments or saving a snapshot record. A killed process loses nothing
 * acknowledged: what the backend had not committed is replayed from the WAL, which still holds
 * every entry after the backend's consistent index.
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
/** How often pending writes are committed to LMDB and synced to disk (etcd's batch interval). */
export const BACKEND_SYNC_INTERVAL_MS = 100;
/**
 * Pending changes that make write() commit at once rather than at the interval. etcd's limit is
 * 10,000; here changes kept that long outlive V8's young-generation collections, which cost
 * ~10 % more CPU per put at 500 clients, while 64 already gathers ~20 one-client puts a commit.
 */
export const BACKEND_BATCH_LIMIT = 64;

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

/**
 * Changes of write transactions not yet committed to LMDB, per bucket: the key (its bytes as a
 * latin1 string, which orders as the bytes do) to the new value, or to null when deleted.
 * `staged` holds the open transaction's, moved into `committed` when it succeeds.
 */
class PendingWrites {
  committed = new Map<BucketName, Map<string, Buffer | null>>();
  staged = new Map<BucketName, Map<string, Buffer | null>>();
  /** Changes in `committed`. */
  size = 0;
  /** Bytes of keys and values in `committed`: what they may add to the data file. */
  bytes = 0;

  /** The pending value (null: deleted), or undefined when the key has no pending change. */
  lookup(bucket: BucketName, key: string): Buffer | null | undefined {
    const staged = this.staged.get(bucket)?.get(key);
    return staged !== undefined ? staged : this.committed.get(bucket)?.get(key);
  }

  isEmpty(bucket: BucketName): boolean {
    return !this.committed.get(bucket)?.size && !this.staged.get(bucket)?.size;
  }

  stage(bucket: BucketName, key: string, value: Buffer | null): void {
    let changes = this.staged.get(bucket);
    if (!changes) this.staged.set(bucket, (changes = new Map()));
    changes.set(key, value);
  }

  /** The open transaction succeeded: its changes join the committed ones. */
  keepStaged(): void {
    for (const [bucket, changes] of this.staged) {
      const committed = this.committed.get(bucket);
      if (!committed?.size) {
        // Nothing pending in the bucket (as after every LMDB commit): the staged map becomes
        // the pending one as it is, which spares a large transaction a second map of its keys.
        for (const [key, value] of changes) this.bytes += key.length + (value?.length ?? 0);
        this.size += changes.size;
        this.committed.set(bucket, changes);
        continue;
      }
      for (const [key, value] of changes) {
        const before = committed.get(key);
        if (before === undefined) {
          this.size++;
          this.bytes += key.length;
        }
        this.bytes += (value?.length ?? 0) - (before?.length ?? 0);
        committed.set(key, value);
      }
    }
    this.staged.clear();
  }

  dropStaged(): void {
    this.staged.clear();
  }

  /** Takes the committed changes (for an LMDB commit), leaving none. */
  take(): Map<BucketName, Map<string, Buffer | null>> {
    const taken = this.committed;
    this.committed = new Map();
    this.size = 0;
    this.bytes = 0;
    return taken;
  }

  /** Puts back changes taken for a commit that failed. */
  restore(changes: Map<BucketName, Map<string, Buffer | null>>): void {
    this.committed = new Map();
    this.size = 0;
    this.bytes = 0;
    this.staged = changes;
    this.keepStaged();
  }

  /** The bucket's pending changes with start <= key < end, in key order. */
  between(
    bucket: BucketName,
    start: string | undefined,
    end: string | undefined,
  ): Array<[string, Buffer | null]> {
    const merged = new Map(this.committed.get(bucket));
    for (const [key, value] of this.staged.get(bucket) ?? []) merged.set(key, value);
    const within: Array<[string, Buffer | null]> = [];
    for (const entry of merged) {
      if ((start === undefined || entry[0] >= start) && (end === undefined || entry[0] < end))
        within.push(entry);
    }
    return within.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
}

const asKey = (bytes: Uint8Array): string => asBuffer(bytes).toString('latin1');

/** One bucket: binary keys in byte order, binary values. */
export class Bucket {
  constructor(
    /** @internal */
    readonly db: Database<Buffer, Buffer>,
    private readonly name: BucketName,
    private readonly backend: Backend,
  ) {}

  get(key: Uint8Array): Buffer | undefined {
    const pending = this.pendingValue(key);
    if (pending !== undefined) return pending ?? undefined;
    return this.db.get(asBuffer(key));
  }

  /** The value in a buffer that may be reused: valid only until the next read. For decode-at-once callers. */
  getTransient(key: Uint8Array): Buffer | undefined {
    const pending = this.pendingValue(key);
    if (pending !== undefined) return pending ?? undefined;
    return (
      this.db as Database<Buffer, Buffer> & { getBinaryFast(key: Buffer): Buffer | undefined }
    ).getBinaryFast(asBuffer(key));
  }

  /** Both are copied: callers may reuse their buffers once this returns, as LMDB allows. */
  put(key: Uint8Array, value: Uint8Array): void {
    this.backend.write(() => this.backend.pending.stage(this.name, asKey(key), Buffer.from(value)));
  }

  /** The value is kept, not copied: for a buffer made for this put that no one changes afterwards. */
  putOwned(key: Uint8Array, value: Buffer): void {
    this.backend.write(() => this.backend.pending.stage(this.name, asKey(key), value));
  }

  delete(key: Uint8Array): void {
    this.backend.write(() => this.backend.pending.stage(this.name, asKey(key), null));
  }

  /** Entries with start <= key < end (no end: to the last key), in key order. */
  *range(start?: Uint8Array, end?: Uint8Array): Generator<BackendEntry> {
    const options: { start?: Buffer; end?: Buffer } = {};
    if (start !== undefined && start.length > 0) options.start = Buffer.from(start);
    if (end !== undefined) options.end = Buffer.from(end);
    // The pending changes in the interval, taken now: LMDB's entries merged with them in key
    // order, a pending value replacing LMDB's, a pending deletion hiding it.
    const pending = this.backend.pending.between(
      this.name,
      options.start && asKey(options.start),
      options.end && asKey(options.end),
    );
    let next = 0;
    for (const { key, value } of this.db.getRange(options)) {
      const stored = asKey(key as Buffer);
      while (next < pending.length && pending[next][0] < stored) {
        const [pendingKey, pendingValue] = pending[next++];
        if (pendingValue) yield { key: Buffer.from(pendingKey, 'latin1'), value: pendingValue };
      }
      if (next < pending.length && pending[next][0] === stored) {
        const pendingValue = pending[next++][1];
        if (pendingValue) yield { key: key as Buffer, value: pendingValue };
        continue;
      }
      yield { key: key as Buffer, value: value as Buffer };
    }
    for (; next < pending.length; next++) {
      const [pendingKey, pendingValue] = pending[next];
      if (pendingValue) yield { key: Buffer.from(pendingKey, 'latin1'), value: pendingValue };
    }
  }

  count(): number {
    let count = this.db.getCount();
    for (const [key, value] of this.backend.pending.between(this.name, undefined, undefined)) {
      const stored = this.db.doesExist(Buffer.from(key, 'latin1'));
      if (value && !stored) count++;
      else if (!value && stored) count--;
    }
    return count;
  }

  private pendingValue(key: Uint8Array): Buffer | null | undefined {
    const pending = this.backend.pending;
    return pending.isEmpty(this.name) ? undefined : pending.lookup(this.name, asKey(key));
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
  /** @internal Changes not yet committed to LMDB (read through by the buckets). */
  readonly pending = new PendingWrites();
  /** Syncs of the data file still running (flushed()). */
  private readonly syncing = new Set<Promise<void>>();
  /** Why committing pending changes to LMDB failed: every later write() throws it. */
  private commitFailure: Error | undefined;
  /** The open environment's page size, once sizeBytes() has read it. */
  private pageSize: number | undefined;
  /** The data file's size as LMDB reported it after the last commit (read by sizeBytes). */
  private committedBytes: number | undefined;
  private readonly syncTimer: NodeJS.Timeout;

  private constructor(
    readonly dir: string,
    private readonly options: BackendOptions,
  ) {
    this.openEnv();
    this.syncTimer = setInterval(() => {
      if ((this.dirty || this.pending.size > 0) && this.envOpen && !this.replacing)
        void this.flushed().catch(() => undefined);
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

  /**
   * Runs `fn` in one write transaction (nested calls join the outer one); all or nothing. Its
   * changes are read by every read from then on and reach LMDB with the next commit (see the
   * header).
   */
  write<T>(fn: () => T): T {
    if (this.writeDepth > 0) return fn();
    if (this.replacing) throw new BackendBusyError();
    if (this.commitFailure) throw this.commitFailure;
    this.writeDepth++;
    try {
      const result = fn();
      this.pending.keepStaged();
      if (this.pending.size >= BACKEND_BATCH_LIMIT) this.commitPending();
      return result;
    } finally {
      this.pending.dropStaged();
      this.writeDepth--;
    }
  }

  /** Commits the pending changes to LMDB in one transaction (not synced: see flushed()). */
  private commitPending(): void {
    if (this.pending.size === 0) return;
    if (this.commitFailure) throw this.commitFailure;
    const changes = this.pending.take();
    this.committedBytes = undefined; // the file may grow: sizeBytes reads it again
    try {
      this.env.transactionSync(() => {
        for (const [name, byKey] of changes) {
          const db = this.bucket(name).db;
          for (const [key, value] of byKey) {
            if (value) db.putSync(Buffer.from(key, 'latin1'), value);
            else db.removeSync(Buffer.from(key, 'latin1'));
          }
        }
      });
    } catch (error) {
      // The changes stay readable (the WAL still holds them too); the member must stop writing.
      this.pending.restore(changes);
      this.commitFailure = error as Error;
      throw error;
    }
    this.dirty = true;
  }

  get inWriteTransaction(): boolean {
    return this.writeDepth > 0;
  }

  /** True while defragment() or restore() runs: the caller must wait before writing. */
  get busy(): boolean {
    return this.replacing;
  }

  /** Resolves once every write transaction so far is on disk. */
  flushed(): Promise<void> {
    try {
      this.commitPending();
    } catch (error) {
      return Promise.reject(error as Error);
    }
    this.dirty = false;
    const env = this.env as RootDatabase & { sync(callback: (error?: Error) => void): void };
    const synced = new Promise<void>((resolve, reject) =>
      env.sync((error) => (error ? reject(error) : resolve())),
    );
    this.syncing.add(synced);
    const settled = () => void this.syncing.delete(synced);
    synced.then(settled, settled);
    return synced;
  }

  /**
   * Bytes of the data file in use (pages up to the last one written), with what the changes not
   * yet committed may add: what the quota counts.
   */
  sizeBytes(): number {
    // The quota check asks on every write. lmdb-js's getStats() also walks the free list
    // (~25 µs and growing with the file); the environment's info holds what we need, and the
    // page size (its stat, as costly again) is read once per environment.
    // The file grows only when pending changes are committed, so LMDB's info (~20 µs, on the
    // critical path of every proposal) is read again only after a commit.
    if (this.committedBytes === undefined) {
      const native = (this.env as unknown as { env: LmdbNativeEnv }).env;
      this.pageSize ??= native.stat().pageSize;
      this.committedBytes = this.pageSize * (native.info().lastPageNumber + 1);
    }
    return this.committedBytes + this.pending.bytes;
  }

  /** Size of the data file on disk (changes not yet committed to LMDB are not in it: see flushed()). */
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
    this.commitPending();
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
      // The snapshot replaces every change, including those not yet committed.
      this.pending.take();
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
      this.commitPending();
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
    // Closing an environment under a sync still running on LMDB's thread crashes the process.
    await Promise.allSettled([...this.syncing]);
    await this.env.close();
  }

  async close(): Promise<void> {
    clearInterval(this.syncTimer);
    if (!this.envOpen) return;
    try {
      this.commitPending();
    } finally {
      await this.closeEnv();
    }
  }

  private openEnv(): void {
    this.pageSize = undefined;
    this.committedBytes = undefined;
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
      this.buckets.set(name, new Bucket(db, name, this));
    }
    this.envOpen = true;
  }

  static exists(dir: string): boolean {
    return existsSync(join(dir, DATA_FILE));
  }
}
