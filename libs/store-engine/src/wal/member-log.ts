/*
 * A member's Raft log on disk: the WAL (<dir>/wal) and the snapshot files (<dir>/snap) behind
 * one object, shaped for the server's node loop. open() loads the newest intact snapshot and
 * the WAL entries after it; save() resolves once fsynced (group commit); a snapshot is saved
 * to its file before the WAL records it, so a WAL snapshot mark always has its file.
 */
import { join } from 'node:path';
import type { Entry, HardState, Snapshot, SnapshotMetadata } from '@skyroad/raft';
import { Snapshotter } from '../snapshot/snapshotter';
import { Wal, type WalOptions } from './wal';

export interface MemberLogContents {
  snapshot?: SnapshotMetadata;
  hardState?: HardState;
  /** Entries after the snapshot. */
  entries: Entry[];
}

export class MemberLog {
  private constructor(
    private readonly wal: Wal,
    private readonly snapshotter: Snapshotter,
    private readonly contents: MemberLogContents,
    private latestSnapshot: Snapshot | undefined,
  ) {}

  static open(dir: string, options: Omit<WalOptions, 'fromIndex'> = {}): MemberLog {
    const snapshotter = new Snapshotter(join(dir, 'snap'));
    const snapshot = snapshotter.load();
    const { wal, contents } = Wal.open(join(dir, 'wal'), {
      ...options,
      fromIndex: snapshot?.metadata.index ?? 0,
    });
    return new MemberLog(
      wal,
      snapshotter,
      { snapshot: snapshot?.metadata, hardState: contents.hardState, entries: contents.entries },
      snapshot,
    );
  }

  /** What was on disk at open. */
  load(): MemberLogContents {
    return this.contents;
  }

  /** Appends entries (replacing any at the same indexes and after) and the hard state; resolves once on disk. */
  save(hardState: HardState | undefined, entries: readonly Entry[]): Promise<void> {
    return this.wal.save(hardState, entries);
  }

  /** Writes the snapshot file, then records it in the WAL. */
  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    this.snapshotter.save(snapshot);
    this.latestSnapshot = snapshot;
    await this.wal.saveSnapshot({ index: snapshot.metadata.index, term: snapshot.metadata.term });
  }

  loadSnapshot(): Snapshot | undefined {
    return this.latestSnapshot;
  }

  /** Deletes WAL segments holding only entries below `index`; the backend must be flushed first. */
  releaseTo(index: number): string[] {
    return this.wal.releaseTo(index);
  }

  get walDir(): string {
    return this.wal.dir;
  }

  close(): Promise<void> {
    return this.wal.close();
  }
}
