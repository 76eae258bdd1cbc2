import type { Entry, HardState, Snapshot } from '@skyroad/raft';

/** What the node loop needs from the write-ahead log and the snapshot files. */
export interface DurableLog {
  /** Everything on disk at start: the newest snapshot, and the hard state and entries after it. */
  load(): { snapshot?: Snapshot; hardState?: HardState; entries: Entry[]; fresh: boolean };
  /**
   * Appends entries (replacing any at the same indexes and after) and the hard state;
   * resolves once they are on disk when `sync` (otherwise they may ride the next save).
   */
  save(hardState: HardState | undefined, entries: Entry[], sync: boolean): Promise<void>;
  /**
   * Keeps a hard state that moved only the commit index (nothing to fsync, as in etcd) for the
   * next save; the synchronous form of `save(hardState, [], false)`.
   */
  holdHardState(hardState: HardState): void;
  /**
   * Once the backend is durable up to the snapshot's index, keeps the snapshot's metadata (not
   * its data: the backend is the state) and marks the log so replay may start after it.
   */
  saveSnapshot(snapshot: Snapshot): Promise<void>;
  /** Entries up to `index` are no longer needed (a snapshot covers them). */
  releaseTo(index: number): Promise<void>;
  close(): Promise<void>;
}
