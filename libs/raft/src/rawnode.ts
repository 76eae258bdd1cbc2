import { RaftConfig } from './config';
import { ProposalDroppedError, RaftInvariantError, StepLocalMessageError } from './errors';
import { Raft, SoftState, StateRole } from './raft';
import {
  ConfChange,
  ConfState,
  encodeConfChange,
  EntryType,
  HardState,
  Message,
  MessageType,
  NodeId,
} from './raftpb';
import { Ready } from './ready';
import { Status, PeerProgress } from './status';
import { emptyHardState, hardStateEqual, isLocalMessage, isResponseMessage, newMessage } from './util';

/**
 * The single-threaded API to the Raft core (etcd's rawnode.go). Every method returns
 * synchronously; effects come out of ready(). Not safe for concurrent use (nor needed: call
 * it from one loop).
 */
export class RawNode {
  /** The state machine itself; for the simulator and tests, not for applications. */
  readonly raft: Raft;
  private prevSoftState: SoftState;
  private prevHardState: HardState;
  private outstanding: Ready | undefined;

  constructor(config: RaftConfig);
  /** Wraps an existing state machine (used by the simulator to plant mutants). */
  constructor(raft: Raft);
  constructor(configOrRaft: RaftConfig | Raft) {
    this.raft = configOrRaft instanceof Raft ? configOrRaft : new Raft(configOrRaft);
    this.prevSoftState = this.raft.softState();
    this.prevHardState = this.raft.hardState();
  }

  /** One logical clock tick: drives elections (followers) and heartbeats (leaders). */
  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (PreVote first when enabled). */
  campaign(): void {
    this.raft.step(newMessage({ type: MessageType.Hup, from: this.raft.id }));
  }

  /**
   * Proposes data to be appended to the log. Throws ProposalDroppedError when there is no
   * leader to take it; acceptance is not commitment: watch committedEntries.
   */
  propose(data: Uint8Array): void {
    this.raft.step(
      newMessage({
        type: MessageType.Prop,
        from: this.raft.id,
        entries: [{ term: 0, index: 0, type: EntryType.Normal, data }],
      }),
    );
  }

  /**
   * Proposes a membership change: one change is applied on its own, several through a joint
   * configuration. Throws ProposalDroppedError while another change is pending (leader only;
   * a follower forwards and the leader drops it silently).
   */
  proposeConfChange(cc: ConfChange): void {
    this.raft.step(
      newMessage({
        type: MessageType.Prop,
        from: this.raft.id,
        entries: [{ term: 0, index: 0, type: EntryType.ConfChange, data: encodeConfChange(cc) }],
      }),
    );
  }

  /** Applies a committed ConfChange; returns the new configuration to persist. */
  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc);
  }

  /**
   * Steps a message received from a peer. Local message types are refused; responses from
   * unknown peers are ignored; proposals forwarded to us that we cannot take are dropped.
   */
  step(m: Message): void {
    if (isLocalMessage(m.type)) throw new StepLocalMessageError(m.type);
    if (isResponseMessage(m.type) && !this.raft.trk.progress.has(m.from)) return;
    try {
      this.raft.step(m);
    } catch (err) {
      // A forwarded proposal the leader cannot take is the proposer's to retry.
      if (err instanceof ProposalDroppedError) return;
      throw err;
    }
  }

  /** Asks the leader to hand leadership to `transferee` (which must be a caught-up voter). */
  transferLeader(transferee: NodeId): void {
    this.raft.step(newMessage({ type: MessageType.TransferLeader, from: transferee }));
  }

  /**
   * Requests a linearizable read point. The answer arrives in a later Ready's readStates
   * with the same context; serve the read once applied >= its index. Throws
   * ProposalDroppedError when there is no leader.
   */
  readIndex(context: Uint8Array): void {
    this.raft.step(newMessage({ type: MessageType.ReadIndex, context }));
  }

  /** Tells the leader that the last messages to `id` were probably lost. */
  reportUnreachable(id: NodeId): void {
    this.raft.step(newMessage({ type: MessageType.Unreachable, from: id }));
  }

  /** Tells the leader whether sending a snapshot to `id` succeeded. */
  reportSnapshot(id: NodeId, ok: boolean): void {
    this.raft.step(newMessage({ type: MessageType.SnapStatus, from: id, reject: !ok }));
  }

  hasReady(): boolean {
    if (this.outstanding !== undefined) return false;
    const r = this.raft;
    if (!softStateEqual(r.softState(), this.prevSoftState)) return true;
    const hs = r.hardState();
    if (!hardStateEqual(hs, emptyHardState()) && !hardStateEqual(hs, this.prevHardState)) return true;
    if (r.raftLog.hasPendingSnapshot()) return true;
    if (r.msgs.length > 0 || r.msgsAfterPersist.length > 0 || r.hasPendingProposals()) return true;
    if (r.raftLog.unstableEntries().length > 0) return true;
    if (r.raftLog.hasNextCommittedEntries()) return true;
    return r.readStates.length > 0;
  }

  /** Collects the pending work; call advance(ready) when it is done (see Ready). */
  ready(): Ready {
    if (this.outstanding !== undefined)
      throw new RaftInvariantError('ready() called before advance() of the previous Ready');
    const r = this.raft;
    r.flushProposals();
    const rd: Ready = {
      entries: [...r.raftLog.unstableEntries()],
      committedEntries: r.raftLog.nextCommittedEntries(),
      messages: r.msgs,
      messagesAfterPersist: r.msgsAfterPersist,
      readStates: r.readStates,
      mustSync: false,
    };
    const ss = r.softState();
    if (!softStateEqual(ss, this.prevSoftState)) {
      rd.softState = ss;
      this.prevSoftState = ss;
    }
    const hs = r.hardState();
    if (!hardStateEqual(hs, this.prevHardState)) rd.hardState = hs;
    if (r.raftLog.unstable.snapshot !== undefined) rd.snapshot = r.raftLog.unstable.snapshot;
    rd.mustSync =
      rd.entries.length > 0 ||
      (rd.hardState !== undefined &&
        (rd.hardState.term !== this.prevHardState.term || rd.hardState.vote !== this.prevHardState.vote));
    r.msgs = [];
    r.msgsAfterPersist = [];
    r.readStates = [];
    this.outstanding = rd;
    return rd;
  }

  /** Acknowledges that a Ready was persisted and applied as its contract says. */
  advance(rd: Ready): void {
    if (rd !== this.outstanding)
      throw new RaftInvariantError('advance() of a Ready that is not the outstanding one');
    this.outstanding = undefined;
    if (rd.hardState !== undefined) this.prevHardState = rd.hardState;
    const r = this.raft;
    if (rd.snapshot !== undefined) r.onSnapshotPersisted(rd.snapshot.metadata.index);
    if (rd.entries.length > 0) {
      const last = rd.entries[rd.entries.length - 1];
      r.onEntriesPersisted(last.index, last.term);
    }
    if (rd.committedEntries.length > 0)
      r.appliedTo(rd.committedEntries[rd.committedEntries.length - 1].index);
  }

  status(): Status {
    const r = this.raft;
    const progress = new Map<NodeId, PeerProgress>();
    if (r.state === StateRole.Leader) {
      r.trk.visit((id, pr) => {
        progress.set(id, {
          match: pr.match,
          next: pr.next,
          state: pr.state,
          isLearner: pr.isLearner,
          recentActive: pr.recentActive,
        });
      });
    }
    return {
      id: r.id,
      term: r.term,
      vote: r.vote,
      commit: r.raftLog.committed,
      applied: r.raftLog.applied,
      lead: r.lead,
      role: r.state,
      leadTransferee: r.leadTransferee,
      config: r.trk.confState(),
      lastIndex: r.raftLog.lastIndex(),
      progress,
    };
  }
}

function softStateEqual(a: SoftState, b: SoftState): boolean {
  return a.lead === b.lead && a.role === b.role;
}
