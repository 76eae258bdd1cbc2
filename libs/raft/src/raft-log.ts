import { CompactedError, RaftInvariantError, UnavailableError } from './errors';
import { UnstableLog } from './log-unstable';
import { Entry, Snapshot } from './raftpb';
import { Storage } from './storage';
import { limitSize, NO_LIMIT_BYTES } from './util';

/**
 * The log as Raft sees it (etcd's log.go): a durable prefix in Storage followed by unstable
 * entries, plus the commit and apply cursors. Invariant: applied <= committed <= lastIndex.
 */
export class RaftLog {
  readonly unstable: UnstableLog;
  committed: number;
  applied: number;

  constructor(
    readonly storage: Storage,
    private readonly maxCommittedSizePerReadyBytes: number = NO_LIMIT_BYTES,
  ) {
    const firstIndex = storage.firstIndex();
    const lastIndex = storage.lastIndex();
    this.unstable = new UnstableLog(lastIndex + 1);
    this.committed = firstIndex - 1;
    this.applied = firstIndex - 1;
  }

  /**
   * Appends ents after (index, logTerm) if that entry matches, as a follower does for MsgApp.
   * Returns the index of the last new entry, or undefined when the log does not match.
   */
  maybeAppend(index: number, logTerm: number, committed: number, ents: Entry[]): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNewIndex = index + ents.length;
    const conflict = this.findConflict(ents);
    if (conflict !== 0) {
      if (conflict <= this.committed) {
        throw new RaftInvariantError(
          `entry ${conflict} conflicts with committed entry [committed(${this.committed})]`,
        );
      }
      this.append(ents.slice(conflict - (index + 1)));
    }
    this.commitTo(Math.min(committed, lastNewIndex));
    return lastNewIndex;
  }

  append(ents: Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    const after = ents[0].index - 1;
    if (after < this.committed) {
      throw new RaftInvariantError(`after(${after}) is out of range [committed(${this.committed})]`);
    }
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /**
   * The index of the first entry in ents that is new or conflicts with the log (0 when all
   * are already present). Entries must be contiguous.
   */
  findConflict(ents: Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  unstableEntries(): Entry[] {
    return this.unstable.entries;
  }

  /** Committed entries not yet handed to the application (none while a snapshot is pending). */
  nextCommittedEntries(): Entry[] {
    if (this.hasPendingSnapshot()) return [];
    const off = Math.max(this.applied + 1, this.firstIndex());
    if (this.committed + 1 > off)
      return this.slice(off, this.committed + 1, this.maxCommittedSizePerReadyBytes);
    return [];
  }

  hasNextCommittedEntries(): boolean {
    if (this.hasPendingSnapshot()) return false;
    return this.committed + 1 > Math.max(this.applied + 1, this.firstIndex());
  }

  hasPendingSnapshot(): boolean {
    return this.unstable.snapshot !== undefined;
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  /**
   * The last index that is durable and still part of this log: entries past it are either
   * unstable or were replaced in memory by a newer leader's entries.
   */
  stableLastIndex(): number {
    if (this.unstable.snapshot !== undefined) return this.unstable.snapshot.metadata.index - 1;
    return Math.min(this.storage.lastIndex(), this.unstable.offset - 1);
  }

  commitTo(toCommit: number): void {
    if (this.committed < toCommit) {
      if (this.lastIndex() < toCommit) {
        throw new RaftInvariantError(
          `tocommit(${toCommit}) is out of range [lastIndex(${this.lastIndex()})]. Was the raft log corrupted, truncated, or lost?`,
        );
      }
      this.committed = toCommit;
    }
  }

  appliedTo(i: number): void {
    if (i === 0) return;
    if (this.committed < i || i < this.applied) {
      throw new RaftInvariantError(
        `applied(${i}) is out of range [prevApplied(${this.applied}), committed(${this.committed})]`,
      );
    }
    this.applied = i;
  }

  stableTo(i: number, t: number): void {
    this.unstable.stableTo(i, t);
  }

  stableSnapTo(i: number): void {
    this.unstable.stableSnapTo(i);
  }

  lastTerm(): number {
    return this.term(this.lastIndex());
  }

  /** Term of entry i; throws CompactedError / UnavailableError outside the log. */
  term(i: number): number {
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    const dummyIndex = this.firstIndex() - 1;
    if (i < dummyIndex) throw new CompactedError(i);
    if (i > this.lastIndex()) throw new UnavailableError(i);
    return this.storage.term(i);
  }

  /** Term of entry i, or undefined when it is compacted or beyond the log. */
  maybeTerm(i: number): number | undefined {
    // Every append to a follower asks about the entries it brings (beyond our log): answer
    // without building an error (a stack trace per entry) when the bounds already tell.
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    if (i < this.firstIndex() - 1 || i > this.lastIndex()) return undefined;
    try {
      return this.storage.term(i);
    } catch (err) {
      if (err instanceof CompactedError || err instanceof UnavailableError) return undefined;
      throw err;
    }
  }

  /** Term of entry i, 0 when it is compacted or beyond the log (etcd's zeroTermOnErrCompacted). */
  termOrZero(i: number): number {
    return this.maybeTerm(i) ?? 0;
  }

  entries(i: number, maxBytes: number): Entry[] {
    if (i > this.lastIndex()) return [];
    return this.slice(i, this.lastIndex() + 1, maxBytes);
  }

  allEntries(): Entry[] {
    return this.entries(this.firstIndex(), NO_LIMIT_BYTES);
  }

  /** Raft's voting rule: is a log ending at (lasti, term) at least as up to date as ours? */
  isUpToDate(lasti: number, term: number): boolean {
    const lastTerm = this.lastTerm();
    return term > lastTerm || (term === lastTerm && lasti >= this.lastIndex());
  }

  matchTerm(i: number, term: number): boolean {
    const t = this.maybeTerm(i);
    return t !== undefined && t === term;
  }

  /** Commits up to maxIndex if that entry is of `term` (the leader's current term). */
  maybeCommit(maxIndex: number, term: number): boolean {
    if (maxIndex > this.committed && this.termOrZero(maxIndex) === term) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  restore(s: Snapshot): void {
    this.committed = s.metadata.index;
    this.unstable.restore(s);
  }

  /** Entries in [lo, hi), read from storage and then from the unstable part. */
  slice(lo: number, hi: number, maxBytes: number): Entry[] {
    this.checkOutOfBounds(lo, hi);
    if (lo === hi) return [];
    let ents: Entry[] = [];
    if (lo < this.unstable.offset) {
      const storedHi = Math.min(hi, this.unstable.offset);
      const stored = this.storage.entries(lo, storedHi, maxBytes);
      // Storage stopped early because of the size limit: do not add unstable entries.
      if (stored.length < storedHi - lo) return stored;
      ents = stored;
    }
    if (hi > this.unstable.offset) {
      const unstable = this.unstable.slice(Math.max(lo, this.unstable.offset), hi);
      ents = ents.length > 0 ? ents.concat(unstable) : unstable;
    }
    return limitSize(ents, maxBytes);
  }

  private checkOutOfBounds(lo: number, hi: number): void {
    if (lo > hi) throw new RaftInvariantError(`invalid slice ${lo} > ${hi}`);
    const fi = this.firstIndex();
    if (lo < fi) throw new CompactedError(lo);
    const length = this.lastIndex() + 1 - fi;
    if (hi > fi + length)
      throw new RaftInvariantError(`slice[${lo},${hi}) out of bound [${fi},${this.lastIndex()}]`);
  }
}
