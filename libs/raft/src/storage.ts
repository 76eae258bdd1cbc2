import { EntryColumns } from './entry-columns';
import { CompactedError, RaftInvariantError, SnapshotOutOfDateError, UnavailableError } from './errors';
import { ConfState, Entry, EntryType, HardState, Snapshot } from './raftpb';
import { emptyConfState, emptyHardState } from './util';

export interface InitialState {
  hardState: HardState;
  confState: ConfState;
}

/**
 * What Raft reads of the durable log (etcd's raft.Storage). Raft never writes to it: the
 * application appends the entries of each Ready after they are durable. Methods throw
 * CompactedError / UnavailableError for indexes outside [firstIndex - 1, lastIndex].
 */
export interface Storage {
  initialState(): InitialState;
  /** Entries in [lo, hi), at most maxBytes in total but at least one if any is in range. */
  entries(lo: number, hi: number, maxBytes: number): Entry[];
  /** Term of entry i; i may be firstIndex - 1 (the snapshot's index). */
  term(i: number): number;
  lastIndex(): number;
  firstIndex(): number;
  /** The most recent snapshot (for MsgSnap to followers that are too far behind). */
  snapshot(): Snapshot;
}

/**
 * Storage in memory, after etcd's MemoryStorage. The first entry of `ents` is a dummy standing
 * for the snapshot (its index and term), so that term(firstIndex - 1) is always answerable.
 * Entries are kept by column (EntryColumns), out of the collector's way: entries() returns new
 * objects on each call, whose data are views that must not be written to.
 */
export class MemoryStorage implements Storage {
  private hardState: HardState = emptyHardState();
  private snap: Snapshot = {
    metadata: { index: 0, term: 0, confState: emptyConfState() },
    data: new Uint8Array(0),
  };
  private ents = columnsWithDummy(0, 0);

  /** A storage for a brand-new cluster member whose initial voters are known. */
  static bootstrap(voters: number[], learners: number[] = []): MemoryStorage {
    const s = new MemoryStorage();
    s.snap.metadata.confState = { ...emptyConfState(), voters: [...voters], learners: [...learners] };
    return s;
  }

  initialState(): InitialState {
    return { hardState: { ...this.hardState }, confState: cloneConfState(this.snap.metadata.confState) };
  }

  setHardState(hs: HardState): void {
    this.hardState = { ...hs };
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    const offset = this.ents.firstIndex;
    if (lo <= offset) throw new CompactedError(lo);
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1);
    if (hi <= lo) return [];
    // limitSize's rule (at least one entry) on the stored sizes, so that only what is
    // returned is built.
    let end = lo + 1;
    let size = this.ents.sizeBytes(lo);
    for (; end < hi; end++) {
      size += this.ents.sizeBytes(end);
      if (size > maxBytes) break;
    }
    return this.ents.slice(lo, end);
  }

  term(i: number): number {
    const offset = this.ents.firstIndex;
    if (i < offset) throw new CompactedError(i);
    if (i > this.ents.lastIndex) throw new UnavailableError(i);
    return this.ents.term(i);
  }

  lastIndex(): number {
    return this.ents.lastIndex;
  }

  firstIndex(): number {
    return this.ents.firstIndex + 1;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Replaces the whole content with a snapshot received from the leader. */
  applySnapshot(snap: Snapshot): void {
    if (snap.metadata.index <= this.snap.metadata.index)
      throw new SnapshotOutOfDateError(snap.metadata.index);
    this.snap = snap;
    this.ents = columnsWithDummy(snap.metadata.index, snap.metadata.term);
  }

  /**
   * Records that the application's state at index i is `data`, so that it can be sent to
   * followers. Entries are kept until compact() is called.
   */
  createSnapshot(i: number, confState: ConfState | undefined, data: Uint8Array): Snapshot {
    if (i <= this.snap.metadata.index) throw new SnapshotOutOfDateError(i);
    if (i > this.lastIndex())
      throw new RaftInvariantError(`snapshot ${i} is out of bound lastindex(${this.lastIndex()})`);
    this.snap = {
      metadata: {
        index: i,
        term: this.ents.term(i),
        confState: cloneConfState(confState ?? this.snap.metadata.confState),
      },
      data,
    };
    return this.snap;
  }

  /** Discards entries before compactIndex; compactIndex becomes the dummy entry. */
  compact(compactIndex: number): void {
    const offset = this.ents.firstIndex;
    if (compactIndex <= offset) throw new CompactedError(compactIndex);
    if (compactIndex > this.lastIndex()) {
      throw new RaftInvariantError(`compact ${compactIndex} is out of bound lastindex(${this.lastIndex()})`);
    }
    // The dummy keeps its index and term; its data (and type) no longer matter.
    this.ents.dropBefore(compactIndex);
  }

  /**
   * Appends durable entries. Entries already compacted are ignored; an entry that conflicts
   * with the stored log replaces it and everything after it.
   */
  append(entries: Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const last = entries[0].index + entries.length - 1;
    if (last < first) return;
    const skip = Math.max(0, first - entries[0].index);
    const at = entries[skip].index;
    if (at > this.lastIndex() + 1) {
      throw new RaftInvariantError(`missing log entry [last: ${this.lastIndex()}, append at: ${at}]`);
    }
    this.ents.truncateFrom(at);
    for (let i = skip; i < entries.length; i++) this.ents.push(entries[i]);
  }
}

/** A log holding only the dummy entry for a snapshot at (index, term). */
function columnsWithDummy(index: number, term: number): EntryColumns {
  const ents = new EntryColumns(index);
  ents.push({ term, index, type: EntryType.Normal, data: new Uint8Array(0) });
  return ents;
}

export function cloneConfState(cs: ConfState): ConfState {
  return {
    voters: [...cs.voters],
    learners: [...cs.learners],
    votersOutgoing: [...cs.votersOutgoing],
    learnersNext: [...cs.learnersNext],
    autoLeave: cs.autoLeave,
  };
}
