/** Typed errors of the Raft core. Callers branch on the class, never on the message text. */

export class RaftError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * A proposal (or a read) was not accepted: there is no leader to forward it to, a leader
 * transfer is in progress, this node was removed, or a membership change is already pending.
 * Nothing was appended; the caller may retry later.
 */
export class ProposalDroppedError extends RaftError {
  constructor(readonly reason: string) {
    super(`raft proposal dropped: ${reason}`);
  }
}

/** The requested index is older than the first index kept in storage (compacted away). */
export class CompactedError extends RaftError {
  constructor(readonly index: number) {
    super(`requested index ${index} is unavailable due to compaction`);
  }
}

/** The requested index is beyond the last index in storage. */
export class UnavailableError extends RaftError {
  constructor(readonly index: number) {
    super(`requested entry at index ${index} is unavailable`);
  }
}

/** A snapshot older than the one storage already holds was offered. */
export class SnapshotOutOfDateError extends RaftError {
  constructor(readonly index: number) {
    super(`requested snapshot index ${index} is older than the existing snapshot`);
  }
}

/** Storage cannot produce a snapshot right now; the leader retries on a later heartbeat. */
export class SnapshotTemporarilyUnavailableError extends RaftError {
  constructor() {
    super('snapshot is temporarily unavailable');
  }
}

/** A membership change that breaks the rules (two voters at once, zero voters, ...). */
export class ConfChangeError extends RaftError {}

/** A message type that only the node itself may generate (MsgHup, MsgBeat, ...) came from a peer. */
export class StepLocalMessageError extends RaftError {
  constructor(readonly type: string) {
    super(`cannot step raft local message ${type}`);
  }
}

/** The configuration passed to RawNode is unusable. */
export class RaftConfigError extends RaftError {}

/** An internal invariant does not hold; the state machine must not continue. */
export class RaftInvariantError extends RaftError {}
