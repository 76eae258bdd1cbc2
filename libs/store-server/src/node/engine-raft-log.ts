import { join } from 'node:path';
import type { Entry, HardState, Snapshot } from '@skyroad/raft';
import { readWalMetadata, Snapshotter, Wal, walExists, type Backend } from '@skyroad/store-engine';
import type { DurableLog } from './durable-log';

export const WAL_DIR = 'wal';
export const SNAP_DIR = 'snap';

/**
 * The Raft log on the engine's WAL (segments, chained CRCs, torn-tail repair, group commit)
 * and its Snapshotter. A hard state that only moved the commit index need not be fsynced
 * (etcd does not either): it is held back and written with the next save.
 */
export class EngineRaftLog implements DurableLog {
  private readonly wal: Wal;
  private readonly snaps: Snapshotter;
  private readonly loaded: ReturnType<DurableLog['load']>;
  private heldHardState: HardState | undefined;

  /** The metadata given when the log was created (the member's identity). */
  readonly metadata: Buffer | undefined;

  /** Whether `dataDir` already holds a log (a restart). */
  static exists(dataDir: string): boolean {
    return walExists(join(dataDir, WAL_DIR));
  }

  /** The metadata of an existing log, read from its header alone. */
  static readMetadata(dataDir: string): Buffer | undefined {
    return readWalMetadata(join(dataDir, WAL_DIR));
  }

  constructor(
    dataDir: string,
    private readonly backend: Backend,
    metadata: Uint8Array,
  ) {
    const walDir = join(dataDir, WAL_DIR);
    const fresh = !walExists(walDir);
    this.snaps = new Snapshotter(join(dataDir, SNAP_DIR));
    const snapshot = this.snaps.load();
    const { wal, contents } = Wal.open(walDir, { metadata, fromIndex: snapshot?.metadata.index ?? 0 });
    this.wal = wal;
    this.metadata = contents.metadata;
    this.loaded = { snapshot, hardState: contents.hardState, entries: contents.entries, fresh };
  }

  load() {
    return this.loaded;
  }

  save(hardState: HardState | undefined, entries: Entry[], sync: boolean): Promise<void> {
    if (!sync && entries.length === 0) {
      if (hardState) this.holdHardState(hardState);
      return Promise.resolve();
    }
    const state = hardState ?? this.heldHardState;
    this.heldHardState = undefined;
    return this.wal.save(state, entries);
  }

  holdHardState(hardState: HardState): void {
    this.heldHardState = hardState;
  }

  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    // The record lets a restart skip the log up to its index, so the backend (noSync, synced
    // periodically) must be on disk up to that index first. The record holds no data.
    await this.backend.flushed();
    this.snaps.save(snapshot.data.byteLength === 0 ? snapshot : { ...snapshot, data: new Uint8Array(0) });
    await this.wal.saveSnapshot({ index: snapshot.metadata.index, term: snapshot.metadata.term });
  }

  async releaseTo(index: number): Promise<void> {
    // The backend must hold everything up to `index` on disk before the log lets go of it.
    await this.backend.flushed();
    this.wal.releaseTo(index);
  }

  async close(): Promise<void> {
    if (this.heldHardState) await this.wal.save(this.heldHardState, []);
    await this.wal.close();
  }
}
