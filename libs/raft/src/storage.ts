import { CompactedError, RaftInvariantError, SnapshotOutOfDateError, UnavailableError } from './errors';
import { ConfState, Entry, HardState, Snapshot } from './raftpb';
import { emptyConfState, emptyHardState, limitSize } from './util';

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
 * Storage in memory, after etcd's MemoryStorage. ents[0] is a dummy entry standing for the
 * snapshot (its index and term), so that term(firstIndex - 1) is always answerable.
 */
export class MemoryStorage implements Storage {
  private hardState: HardState = emptyHardState();
  private snap: Snapshot = {
    metadata: { index: 0, term: 0, confState: emptyConfState() },
    data: new Uint8Array(0),
  };
  private ents: Entry[] = [{ term: 0, index: 0, type: 0, data: new Uint8Array(0) }];

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
    const offset = this.ents[0].index;
    if (lo <= offset) throw new CompactedError(lo);
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1);
    if (hi <= lo) return [];
    return limitSize(this.ents.slice(lo - offset, hi - offset), maxBytes);
  }

  term(i: number): number {
    const offset = this.ents[0].index;
    if (i < offset) throw new CompactedError(i);
    if (i - offset >= this.ents.length) throw new UnavailableError(i);
    return this.ents[i - offset].term;
  }

  lastIndex(): number {
    return this.ents[0].index + this.ents.length - 1;
  }

  firstIndex(): number {
    return this.ents[0].index + 1;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Replaces the whole content with a snapshot received from the leader. */
  applySnapshot(snap: Snapshot): void {
    if (snap.metadata.index <= this.snap.metadata.index)
      throw new SnapshotOutOfDateError(snap.metadata.index);
    this.snap = snap;
    this.ents = [{ term: snap.metadata.term, index: snap.metadata.index, type: 0, data: new Uint8Array(0) }];
  }

  /**
   * Records that the application's state at index i is `data`, so that it can be sent to
   * followers. Entries are kept until compact() is called.
   */
  createSnapshot(i: number, confState: ConfState | undefined, data: Uint8Array): Snapshot {
    if (i <= this.snap.metadata.index) throw new SnapshotOutOfDateError(i);
    if (i > this.lastIndex())
      throw new RaftInvariantError(`snapshot ${i} is out of bound lastindex(${this.lastIndex()})`);
    const offset = this.ents[0].index;
    this.snap = {
      metadata: {
        index: i,
        term: this.ents[i - offset].term,
        confState: cloneConfState(confState ?? this.snap.metadata.confState),
      },
      data,
    };
    return this.snap;
  }

  /** Discards entries before compactIndex; compactIndex becomes the dummy entry. */
  compact(compactIndex: number): void {
    const offset = this.ents[0].index;
    if (compactIndex <= offset) throw new CompactedError(compactIndex);
    if (compactIndex > this.lastIndex()) {
      throw new RaftInvariantError(`compact ${compactIndex} is out of bound lastindex(${this.lastIndex()})`);
    }
    const i = compactIndex - offset;
    const dummy = { ...this.ents[i], type: 0, data: new Uint8Array(0) };
    this.ents = [dummy, ...this.ents.slice(i + 1)];
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
    if (first > entries[0].index) entries = entries.slice(first - entries[0].index);
    const offset = entries[0].index - this.ents[0].index;
    if (offset > this.ents.length) {
      throw new RaftInvariantError(
        `missing log entry [last: ${this.lastIndex()}, append at: ${entries[0].index}]`,
      );
    }
    // Truncate in place: the log can be long and appends are frequent.
    this.ents.length = offset;
    for (const e of entries) this.ents.push(e);
  }
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
