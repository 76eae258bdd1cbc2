import { resolveConfig, RaftConfig, ResolvedRaftConfig } from './config';
import { Changer, ConfigChangeResult, restoreConfig } from './confchange';
import {
  CompactedError,
  ProposalDroppedError,
  RaftInvariantError,
  SnapshotTemporarilyUnavailableError,
} from './errors';
import { jointVoteResult, VoteResult } from './quorum';
import { RaftLog } from './raft-log';
import {
  ConfChange,
  ConfState,
  decodeConfChange,
  encodeConfChange,
  Entry,
  EntryType,
  HardState,
  Message,
  MessageType,
  NodeId,
  NONE,
  Snapshot,
} from './raftpb';
import { RandomSource } from './random';
import { ReadOnlyQueue, ReadState } from './read-only';
import { Progress, ProgressState, ProgressTracker } from './tracker';
import { bytesEqual, isEmptyHardState, newMessage, voteResponseType } from './util';

export enum StateRole {
  Follower = 'StateFollower',
  PreCandidate = 'StatePreCandidate',
  Candidate = 'StateCandidate',
  Leader = 'StateLeader',
}

enum CampaignType {
  PreElection = 'CampaignPreElection',
  Election = 'CampaignElection',
  /** Forced election after MsgTimeoutNow: skips PreVote and the CheckQuorum lease. */
  Transfer = 'CampaignTransfer',
}

/** Context of a MsgVote caused by leader transfer; voters grant it despite the leader lease. */
const CAMPAIGN_TRANSFER_CONTEXT = new Uint8Array(Buffer.from(CampaignType.Transfer, 'utf8'));

/** What a node knows that need not be persisted. */
export interface SoftState {
  lead: NodeId;
  role: StateRole;
}

/**
 * The Raft protocol as a pure state machine (etcd's raft.go). Inputs are step() and tick();
 * outputs are accumulated in `msgs`, `msgsAfterPersist`, `readStates` and the log, and
 * collected by RawNode into a Ready. Nothing here performs I/O.
 */
export class Raft {
  readonly id: NodeId;
  term = 0;
  vote: NodeId = NONE;
  readonly raftLog: RaftLog;
  readonly trk: ProgressTracker;
  state: StateRole = StateRole.Follower;
  isLearner = false;
  lead: NodeId = NONE;
  /** Target of an ongoing leader transfer (NONE when there is none). */
  leadTransferee: NodeId = NONE;
  /** Index of the last membership change appended; only one may be unapplied at a time. */
  pendingConfIndex = 0;
  readStates: ReadState[] = [];
  /** Messages safe to send before this node's pending entries are durable. */
  msgs: Message[] = [];
  /** Messages that may only be sent once the pending entries and hard state are durable. */
  msgsAfterPersist: Message[] = [];

  private readOnly = new ReadOnlyQueue();
  /** Proposals appended but not yet broadcast (see flushProposals). */
  private appendsPending = false;
  /** ReadIndex requests received before this leader committed an entry of its own term. */
  private pendingReadIndexMessages: Message[] = [];
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  private readonly electionTimeout: number;
  private readonly heartbeatTimeout: number;
  private readonly checkQuorum: boolean;
  private readonly preVote: boolean;
  private readonly disableProposalForwarding: boolean;
  private readonly maxMsgSizeBytes: number;
  private readonly maxUncommittedEntries: number;
  private readonly random: RandomSource;

  constructor(config: RaftConfig) {
    const c: ResolvedRaftConfig = resolveConfig(config);
    this.id = c.id;
    this.raftLog = new RaftLog(c.storage, c.maxCommittedSizePerReadyBytes);
    this.trk = new ProgressTracker(c.maxInflightMsgs);
    this.electionTimeout = c.electionTick;
    this.heartbeatTimeout = c.heartbeatTick;
    this.checkQuorum = c.checkQuorum;
    this.preVote = c.preVote;
    this.disableProposalForwarding = c.disableProposalForwarding;
    this.maxMsgSizeBytes = c.maxSizePerMsgBytes;
    this.maxUncommittedEntries = c.maxUncommittedEntries;
    this.random = c.random;

    const { hardState, confState } = c.storage.initialState();
    const restored = restoreConfig(confState, this.trk.maxInflightMsgs, this.raftLog.lastIndex());
    this.switchToConfig(restored);
    if (!isEmptyHardState(hardState)) this.loadState(hardState);
    if (c.applied > 0) this.raftLog.appliedTo(c.applied);
    this.becomeFollower(this.term, NONE);
  }

  // ---- state and roles ----------------------------------------------------------------

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.raftLog.committed };
  }

  softState(): SoftState {
    return { lead: this.lead, role: this.state };
  }

  private loadState(hs: HardState): void {
    if (hs.commit > this.raftLog.lastIndex()) {
      throw new RaftInvariantError(
        `${this.id} state.commit ${hs.commit} is out of range [${this.raftLog.committed}, ${this.raftLog.lastIndex()}]`,
      );
    }
    // A snapshot is committed by definition: if a crash kept the snapshot but not the hard
    // state written after it, the snapshot's index is the commit index (simulator seed 75).
    this.raftLog.committed = Math.max(hs.commit, this.raftLog.committed);
    this.term = hs.term;
    this.vote = hs.vote;
  }

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.abortLeaderTransfer();
    this.trk.resetVotes();
    const lastIndex = this.raftLog.lastIndex();
    for (const [id, old] of this.trk.progress) {
      const pr = new Progress(lastIndex + 1, this.trk.maxInflightMsgs, old.isLearner);
      // Our own match is what is durable here: the leader counts itself only once it has
      // persisted an entry, so a crash cannot lose an entry it helped commit.
      if (id === this.id) pr.match = this.raftLog.stableLastIndex();
      this.trk.progress.set(id, pr);
    }
    this.pendingConfIndex = 0;
    this.readOnly = new ReadOnlyQueue();
    this.pendingReadIndexMessages = [];
  }

  becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.lead = lead;
    this.state = StateRole.Follower;
  }

  becomeCandidate(): void {
    if (this.state === StateRole.Leader)
      throw new RaftInvariantError('invalid transition [leader -> candidate]');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.state = StateRole.Candidate;
  }

  becomePreCandidate(): void {
    if (this.state === StateRole.Leader)
      throw new RaftInvariantError('invalid transition [leader -> pre-candidate]');
    // PreVote changes neither term nor vote: a partitioned node does not inflate terms.
    this.trk.resetVotes();
    this.lead = NONE;
    this.state = StateRole.PreCandidate;
  }

  becomeLeader(): void {
    if (this.state === StateRole.Follower)
      throw new RaftInvariantError('invalid transition [follower -> leader]');
    this.reset(this.term);
    this.lead = this.id;
    this.state = StateRole.Leader;
    const self = this.trk.progress.get(this.id);
    if (self !== undefined) {
      self.becomeReplicate();
      self.recentActive = true;
    }
    // Conservatively treat any membership change in the uncommitted tail as pending.
    this.pendingConfIndex = this.raftLog.lastIndex();
    // An entry of our own term: committing it commits everything before it (Raft §5.4.2).
    this.appendEntry([{ term: 0, index: 0, type: EntryType.Normal, data: new Uint8Array(0) }]);
  }

  /** Whether this node may campaign: a voter with no snapshot waiting to be applied. */
  promotable(): boolean {
    const pr = this.trk.progress.get(this.id);
    return pr !== undefined && !pr.isLearner && !this.raftLog.hasPendingSnapshot();
  }

  // ---- time ---------------------------------------------------------------------------

  tick(): void {
    if (this.state === StateRole.Leader) this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.step(newMessage({ type: MessageType.Hup, from: this.id }));
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum) this.step(newMessage({ type: MessageType.CheckQuorum, from: this.id }));
      // A transfer that did not finish within an election timeout is abandoned.
      if (this.state === StateRole.Leader && this.leadTransferee !== NONE) this.abortLeaderTransfer();
    }
    if (this.state !== StateRole.Leader) return;
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.step(newMessage({ type: MessageType.Beat, from: this.id }));
    }
  }

  private resetRandomizedElectionTimeout(): void {
    this.randomizedElectionTimeout = this.electionTimeout + this.random.intn(this.electionTimeout);
  }

  // ---- sending ------------------------------------------------------------------------

  private send(m: Message): void {
    if (m.from === NONE) m.from = this.id;
    if (
      m.type === MessageType.Vote ||
      m.type === MessageType.VoteResp ||
      m.type === MessageType.PreVote ||
      m.type === MessageType.PreVoteResp
    ) {
      if (m.term === 0) throw new RaftInvariantError(`term should be set when sending ${m.type}`);
    } else {
      if (m.term !== 0)
        throw new RaftInvariantError(`term should not be set when sending ${m.type} (was ${m.term})`);
      // Proposals and read requests forwarded to the leader are "local" there and carry no term.
      if (m.type !== MessageType.Prop && m.type !== MessageType.ReadIndex) m.term = this.term;
    }
    // The persistence rule: a leader's replication traffic does not depend on its own disk
    // (it counts itself only after persisting), so it may go out in parallel with the write.
    // Proposals and read requests forwarded to the leader carry only the client's request,
    // nothing of this node's state, so they need not wait for this node's disk either (etcd
    // sends them at once too; holding them back made a follower's clients wait a fsync).
    // Everything else (votes, acks) may reveal state that must be durable.
    const forwarded = m.type === MessageType.Prop || m.type === MessageType.ReadIndex;
    const parallelSafe =
      forwarded ||
      (this.state === StateRole.Leader &&
        (m.type === MessageType.App || m.type === MessageType.Snap || m.type === MessageType.Heartbeat));
    if (parallelSafe) this.msgs.push(m);
    else this.msgsAfterPersist.push(m);
  }

  /** Sends a MsgApp (or a MsgSnap) to `to` if flow control allows; returns whether it sent. */
  private maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.trk.progress.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.raftLog.maybeTerm(prevIndex);
    let ents: Entry[] | undefined;
    try {
      ents = this.raftLog.entries(pr.next, this.maxMsgSizeBytes);
    } catch (err) {
      if (!(err instanceof CompactedError)) throw err;
      ents = undefined; // the follower needs entries we no longer have: send a snapshot
    }
    if (ents !== undefined && ents.length === 0 && !sendIfEmpty) return false;
    if (prevTerm === undefined || ents === undefined) return this.maybeSendSnapshot(to, pr);
    this.send(
      newMessage({
        type: MessageType.App,
        to,
        index: prevIndex,
        logTerm: prevTerm,
        entries: ents,
        commit: this.raftLog.committed,
      }),
    );
    if (ents.length > 0) pr.sentEntries(ents[ents.length - 1].index);
    return true;
  }

  private maybeSendSnapshot(to: NodeId, pr: Progress): boolean {
    // Only ship a (possibly large) snapshot to a follower that is actually reachable.
    if (!pr.recentActive) return false;
    let snapshot: Snapshot;
    try {
      snapshot = this.raftLog.snapshot();
    } catch (err) {
      if (!(err instanceof SnapshotTemporarilyUnavailableError)) throw err;
      return false; // retried on a later heartbeat response
    }
    if (snapshot.metadata.index === 0) throw new RaftInvariantError('need non-empty snapshot');
    this.send(newMessage({ type: MessageType.Snap, to, snapshot }));
    pr.becomeSnapshot(snapshot.metadata.index);
    return true;
  }

  private sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true);
  }

  private bcastAppend(): void {
    this.trk.visit((id) => {
      if (id !== this.id) this.sendAppend(id);
    });
  }

  private bcastHeartbeat(ctx?: Uint8Array): void {
    const context = ctx ?? this.readOnly.lastPendingRequestCtx();
    this.trk.visit((id, pr) => {
      if (id === this.id) return;
      // Never tell a follower to commit past what it is known to have.
      const commit = Math.min(pr.match, this.raftLog.committed);
      this.send(newMessage({ type: MessageType.Heartbeat, to: id, commit, context }));
    });
  }

  // ---- appending and committing --------------------------------------------------------

  private appendEntry(es: Entry[]): void {
    const li = this.raftLog.lastIndex();
    const stamped = es.map((e, i) => ({ ...e, term: this.term, index: li + 1 + i }));
    this.raftLog.append(stamped);
    // Deliberately no self-ack here: see onEntriesPersisted.
  }

  /**
   * Advances the commit index to what a quorum holds. Only an entry of the current term is
   * committed by counting replicas (Raft §5.4.2); earlier ones are committed indirectly.
   * Overridable only so that the simulator can plant the "commit-old-term" mutant.
   */
  protected maybeCommit(): boolean {
    return this.raftLog.maybeCommit(this.trk.committed(), this.term);
  }

  /** The application reports that entries up to (index, term) are durable. */
  onEntriesPersisted(index: number, term: number): void {
    this.raftLog.stableTo(index, term);
    if (this.state !== StateRole.Leader) return;
    const self = this.trk.progress.get(this.id);
    if (self === undefined || !this.raftLog.matchTerm(index, term)) return;
    if (self.maybeUpdate(Math.min(index, this.raftLog.stableLastIndex()))) this.afterMatchAdvanced();
  }

  onSnapshotPersisted(index: number): void {
    this.raftLog.stableSnapTo(index);
    if (index > this.raftLog.applied) this.raftLog.applied = index;
  }

  /** The application has applied committed entries up to index. */
  appliedTo(index: number): void {
    this.raftLog.appliedTo(index);
    // Leave a joint configuration on our own once entering it is applied.
    if (
      this.trk.config.autoLeave &&
      index >= this.pendingConfIndex &&
      this.state === StateRole.Leader &&
      this.trk.isJoint()
    ) {
      const leave: Entry = {
        term: 0,
        index: 0,
        type: EntryType.ConfChange,
        data: encodeConfChange({ changes: [] }),
      };
      try {
        this.step(newMessage({ type: MessageType.Prop, from: this.id, entries: [leave] }));
      } catch (err) {
        if (!(err instanceof ProposalDroppedError)) throw err;
      }
    }
  }

  private afterMatchAdvanced(): void {
    if (this.maybeCommit()) {
      this.releasePendingReadIndexMessages();
      this.bcastAppend();
    }
  }

  // ---- the state machine --------------------------------------------------------------

  /** Steps one message. Throws ProposalDroppedError for a local proposal that cannot be accepted. */
  step(m: Message): void {
    if (m.term === 0) {
      // Local message (or a forwarded proposal / read request).
    } else if (m.term > this.term) {
      if (m.type === MessageType.Vote || m.type === MessageType.PreVote) {
        const force = bytesEqual(m.context, CAMPAIGN_TRANSFER_CONTEXT);
        const inLease = this.checkQuorum && this.lead !== NONE && this.electionElapsed < this.electionTimeout;
        // Within the lease of a leader we heard from, ignore disruptive campaigns.
        if (!force && inLease) return;
      }
      if (m.type === MessageType.PreVote) {
        // Never change our term in response to a PreVote.
      } else if (m.type === MessageType.PreVoteResp && !m.reject) {
        // The term is the one we would campaign at; it is not ours yet.
      } else if (
        m.type === MessageType.App ||
        m.type === MessageType.Heartbeat ||
        m.type === MessageType.Snap
      ) {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NONE);
      }
    } else if (m.term < this.term) {
      if (
        (this.checkQuorum || this.preVote) &&
        (m.type === MessageType.Heartbeat || m.type === MessageType.App)
      ) {
        // A stale leader (e.g. after a partition) learns our term from this and steps down;
        // without it, with CheckQuorum/PreVote our higher term would never reach it.
        this.send(newMessage({ type: MessageType.AppResp, to: m.from }));
      } else if (m.type === MessageType.PreVote) {
        this.send(newMessage({ type: MessageType.PreVoteResp, to: m.from, term: this.term, reject: true }));
      }
      return;
    }

    switch (m.type) {
      case MessageType.Hup:
        this.hup(this.preVote ? CampaignType.PreElection : CampaignType.Election);
        return;
      case MessageType.Vote:
      case MessageType.PreVote:
        this.handleVoteRequest(m);
        return;
      default:
        this.stepByRole(m);
    }
  }

  private stepByRole(m: Message): void {
    switch (this.state) {
      case StateRole.Leader:
        this.stepLeader(m);
        return;
      case StateRole.Candidate:
      case StateRole.PreCandidate:
        this.stepCandidate(m);
        return;
      case StateRole.Follower:
        this.stepFollower(m);
        return;
    }
  }

  /**
   * Whether this node may vote for m.from in m.term, before looking at logs. Overridable only
   * so that the simulator can plant the "vote-twice" mutant.
   */
  protected canVote(m: Message): boolean {
    return (
      // Repeated vote (e.g. a retransmitted MsgVote).
      this.vote === m.from ||
      // No vote yet and no leader known in this term.
      (this.vote === NONE && this.lead === NONE) ||
      // A PreVote for a future term.
      (m.type === MessageType.PreVote && m.term > this.term)
    );
  }

  private handleVoteRequest(m: Message): void {
    const respType = voteResponseType(m.type);
    if (this.canVote(m) && this.raftLog.isUpToDate(m.index, m.logTerm)) {
      // The response carries the request's term: for a PreVote ours is still lower.
      this.send(newMessage({ type: respType, to: m.from, term: m.term }));
      if (m.type === MessageType.Vote) {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send(newMessage({ type: respType, to: m.from, term: this.term, reject: true }));
    }
  }

  private hup(t: CampaignType): void {
    if (this.state === StateRole.Leader) return;
    if (!this.promotable()) return;
    // A committed but unapplied membership change may remove us; wait until it is applied.
    if (this.hasUnappliedConfChanges()) return;
    this.campaign(t);
  }

  private hasUnappliedConfChanges(): boolean {
    if (this.raftLog.applied >= this.raftLog.committed) return false;
    let ents: Entry[];
    try {
      ents = this.raftLog.slice(
        this.raftLog.applied + 1,
        this.raftLog.committed + 1,
        Number.MAX_SAFE_INTEGER,
      );
    } catch (err) {
      if (!(err instanceof CompactedError)) throw err;
      return true; // cannot tell: be conservative
    }
    return ents.some((e) => e.type === EntryType.ConfChange);
  }

  private campaign(t: CampaignType): void {
    let voteMsg: MessageType;
    let term: number;
    if (t === CampaignType.PreElection) {
      this.becomePreCandidate();
      voteMsg = MessageType.PreVote;
      term = this.term + 1; // the term we would campaign at
    } else {
      this.becomeCandidate();
      voteMsg = MessageType.Vote;
      term = this.term;
    }
    if (this.poll(this.id, true) === VoteResult.Won) {
      // Single-voter configuration: won on our own vote.
      if (t === CampaignType.PreElection) this.campaign(CampaignType.Election);
      else this.becomeLeader();
      return;
    }
    for (const id of this.trk.voterNodes()) {
      if (id === this.id) continue;
      this.send(
        newMessage({
          type: voteMsg,
          to: id,
          term,
          index: this.raftLog.lastIndex(),
          logTerm: this.raftLog.lastTerm(),
          context: t === CampaignType.Transfer ? CAMPAIGN_TRANSFER_CONTEXT : undefined,
        }),
      );
    }
  }

  private poll(id: NodeId, granted: boolean): VoteResult {
    this.trk.recordVote(id, granted);
    return this.trk.tallyVotes().result;
  }

  // ---- leader -------------------------------------------------------------------------

  private stepLeader(m: Message): void {
    switch (m.type) {
      case MessageType.Beat:
        this.bcastHeartbeat();
        return;
      case MessageType.CheckQuorum:
        if (!this.trk.quorumActive()) {
          this.becomeFollower(this.term, NONE);
          return;
        }
        // Mark everyone inactive; they must prove themselves again within the next timeout.
        this.trk.visit((id, pr) => {
          if (id !== this.id) pr.recentActive = false;
        });
        return;
      case MessageType.Prop:
        this.leaderPropose(m);
        return;
      case MessageType.ReadIndex:
        this.leaderReadIndex(m);
        return;
      default:
        break;
    }

    const pr = this.trk.progress.get(m.from);
    if (pr === undefined) return;
    switch (m.type) {
      case MessageType.AppResp:
        this.handleAppendResponse(m, pr);
        return;
      case MessageType.HeartbeatResp:
        this.handleHeartbeatResponse(m, pr);
        return;
      case MessageType.SnapStatus:
        if (pr.state !== ProgressState.Snapshot) return;
        if (m.reject) pr.pendingSnapshot = 0;
        pr.becomeProbe();
        // Wait for a heartbeat response before probing, so as not to flood a lagging node.
        pr.msgAppFlowPaused = true;
        return;
      case MessageType.Unreachable:
        if (pr.state === ProgressState.Replicate) pr.becomeProbe();
        return;
      case MessageType.TransferLeader:
        this.handleTransferLeader(m, pr);
        return;
      default:
        return;
    }
  }

  private leaderPropose(m: Message): void {
    const local = m.from === NONE || m.from === this.id;
    if (m.entries.length === 0) throw new RaftInvariantError('stepped empty MsgProp');
    if (!this.trk.progress.has(this.id)) {
      if (local) throw new ProposalDroppedError('this node was removed from the configuration');
      return;
    }
    if (this.leadTransferee !== NONE) {
      if (local) throw new ProposalDroppedError(`leader transfer to ${this.leadTransferee} in progress`);
      return;
    }
    const uncommitted = this.raftLog.lastIndex() - this.raftLog.committed;
    if (
      this.maxUncommittedEntries > 0 &&
      uncommitted > 0 &&
      uncommitted + m.entries.length > this.maxUncommittedEntries
    ) {
      if (local) throw new ProposalDroppedError(`${uncommitted} entries are not committed yet`);
      return;
    }
    const entries = [...m.entries];
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (e.type !== EntryType.ConfChange) continue;
      const refusal = this.confChangeRefusal(decodeConfChange(e.data));
      if (refusal !== undefined) {
        if (local) throw new ProposalDroppedError(refusal);
        // Like etcd: keep the position in the batch but make it a no-op.
        entries[i] = { ...e, type: EntryType.Normal, data: new Uint8Array(0) };
      } else {
        this.pendingConfIndex = this.raftLog.lastIndex() + i + 1;
      }
    }
    this.appendEntry(entries);
    // Batching: proposals stepped before the next Ready share one MsgApp per follower.
    this.appendsPending = true;
  }

  /** Sends the MsgApps for proposals batched since the last call (RawNode calls it in ready()). */
  flushProposals(): void {
    if (!this.appendsPending) return;
    this.appendsPending = false;
    if (this.state === StateRole.Leader) this.bcastAppend();
  }

  hasPendingProposals(): boolean {
    return this.appendsPending;
  }

  private confChangeRefusal(cc: ConfChange): string | undefined {
    const alreadyPending = this.pendingConfIndex > this.raftLog.applied;
    const alreadyJoint = this.trk.isJoint();
    const wantsLeaveJoint = cc.changes.length === 0;
    if (alreadyPending) {
      return `possible unapplied conf change at index ${this.pendingConfIndex} (applied to ${this.raftLog.applied})`;
    }
    if (alreadyJoint && !wantsLeaveJoint) return 'must transition out of joint config first';
    if (!alreadyJoint && wantsLeaveJoint) return 'not in joint state; refusing empty conf change';
    return undefined;
  }

  private handleAppendResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    if (m.reject) {
      if (pr.maybeDecrTo(m.index, m.rejectHint)) {
        if (pr.state === ProgressState.Replicate) pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    const oldPaused = pr.isPaused();
    if (!pr.maybeUpdate(m.index)) return;
    if (pr.state === ProgressState.Probe) {
      pr.becomeReplicate();
    } else if (pr.state === ProgressState.Snapshot && pr.match >= pr.pendingSnapshot) {
      // The snapshot (or entries past it) arrived: resume normal replication.
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === ProgressState.Replicate) {
      pr.inflights.freeLE(m.index);
    }
    if (this.maybeCommit()) {
      this.releasePendingReadIndexMessages();
      this.bcastAppend();
    } else if (oldPaused) {
      this.sendAppend(m.from);
    }
    // Stream what the window allows (bounded by MAX_INFLIGHT_MSGS).
    while (this.maybeSendAppend(m.from, false)) {
      // keep sending
    }
    if (m.from === this.leadTransferee && pr.match === this.raftLog.lastIndex()) {
      this.sendTimeoutNow(m.from);
    }
  }

  private handleHeartbeatResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    pr.msgAppFlowPaused = false;
    // MsgApps of a full window may all have been lost: free one slot so that replication
    // resumes (a gap makes the follower reject, and the leader then probes).
    if (pr.state === ProgressState.Replicate && pr.inflights.full()) pr.inflights.freeFirstOne();
    if (pr.match < this.raftLog.lastIndex() || pr.state === ProgressState.Probe) this.sendAppend(m.from);
    if (m.context === undefined || m.context.byteLength === 0) return;
    const acks = this.readOnly.recvAck(m.from, m.context);
    if (acks === undefined) return;
    const votes = new Map<NodeId, boolean>();
    for (const id of acks) votes.set(id, true);
    if (this.trk.isVoter(this.id)) votes.set(this.id, true);
    if (!this.quorumOf(votes)) return;
    for (const rs of this.readOnly.advance(m.context)) this.respondToReadIndex(rs.req, rs.index);
  }

  /** The joint vote rule answers "does this set of acks form a quorum?". */
  private quorumOf(votes: Map<NodeId, boolean>): boolean {
    return jointVoteResult(this.trk.config.voters, votes) === VoteResult.Won;
  }

  private handleTransferLeader(m: Message, pr: Progress): void {
    if (pr.isLearner) return;
    const transferee = m.from;
    if (this.leadTransferee !== NONE) {
      if (this.leadTransferee === transferee) return;
      this.abortLeaderTransfer();
    }
    if (transferee === this.id) return;
    // The transfer must finish within an election timeout.
    this.electionElapsed = 0;
    this.leadTransferee = transferee;
    if (pr.match === this.raftLog.lastIndex()) this.sendTimeoutNow(transferee);
    else this.sendAppend(transferee);
  }

  private sendTimeoutNow(to: NodeId): void {
    this.send(newMessage({ type: MessageType.TimeoutNow, to }));
  }

  private abortLeaderTransfer(): void {
    this.leadTransferee = NONE;
  }

  // ---- ReadIndex ----------------------------------------------------------------------

  private committedEntryInCurrentTerm(): boolean {
    return this.raftLog.termOrZero(this.raftLog.committed) === this.term;
  }

  private leaderReadIndex(m: Message): void {
    if (this.trk.isSingleton() && this.trk.isVoter(this.id)) {
      this.respondToReadIndex(m, this.raftLog.committed);
      return;
    }
    // Until an entry of our term is committed, our commit index may be behind the last
    // leader's: answering now could return a stale read point.
    if (!this.committedEntryInCurrentTerm()) {
      this.pendingReadIndexMessages.push(m);
      return;
    }
    this.startReadIndexRound(m);
  }

  private startReadIndexRound(m: Message): void {
    this.readOnly.addRequest(this.raftLog.committed, m);
    this.readOnly.recvAck(this.id, m.context);
    this.bcastHeartbeat(m.context);
  }

  private releasePendingReadIndexMessages(): void {
    if (this.pendingReadIndexMessages.length === 0 || !this.committedEntryInCurrentTerm()) return;
    const msgs = this.pendingReadIndexMessages;
    this.pendingReadIndexMessages = [];
    for (const m of msgs) this.startReadIndexRound(m);
  }

  private respondToReadIndex(req: Message, index: number): void {
    const context = req.context ?? new Uint8Array(0);
    if (req.from === NONE || req.from === this.id) {
      this.readStates.push({ index, requestCtx: context });
      return;
    }
    this.send(newMessage({ type: MessageType.ReadIndexResp, to: req.from, index, context }));
  }

  // ---- candidate ----------------------------------------------------------------------

  private stepCandidate(m: Message): void {
    const myVoteRespType =
      this.state === StateRole.PreCandidate ? MessageType.PreVoteResp : MessageType.VoteResp;
    switch (m.type) {
      case MessageType.Prop:
        if (m.from === NONE || m.from === this.id)
          throw new ProposalDroppedError('no leader (election in progress)');
        return;
      case MessageType.App:
        this.becomeFollower(m.term, m.from);
        this.handleAppendEntries(m);
        return;
      case MessageType.Heartbeat:
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return;
      case MessageType.Snap:
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return;
      case MessageType.ReadIndex:
        if (m.from === NONE || m.from === this.id)
          throw new ProposalDroppedError('no leader to serve ReadIndex');
        return;
      default:
        break;
    }
    if (m.type !== myVoteRespType) return;
    const result = this.poll(m.from, !m.reject);
    if (result === VoteResult.Won) {
      if (this.state === StateRole.PreCandidate) {
        this.campaign(CampaignType.Election);
      } else {
        this.becomeLeader();
        this.bcastAppend();
      }
    } else if (result === VoteResult.Lost) {
      // A rejected PreVote response may carry a higher term; adopting it happened in step().
      this.becomeFollower(this.term, NONE);
    }
  }

  // ---- follower -----------------------------------------------------------------------

  private stepFollower(m: Message): void {
    switch (m.type) {
      case MessageType.Prop:
        if (this.lead === NONE) {
          if (m.from === NONE || m.from === this.id) throw new ProposalDroppedError('no leader');
          return;
        }
        if (this.disableProposalForwarding) {
          if (m.from === NONE || m.from === this.id)
            throw new ProposalDroppedError('proposal forwarding disabled');
          return;
        }
        this.send({ ...m, from: m.from === NONE ? this.id : m.from, to: this.lead });
        return;
      case MessageType.App:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppendEntries(m);
        return;
      case MessageType.Heartbeat:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return;
      case MessageType.Snap:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return;
      case MessageType.TransferLeader:
        if (this.lead === NONE) return;
        this.send({ ...m, to: this.lead });
        return;
      case MessageType.TimeoutNow:
        // Leader transfer never uses PreVote: the old leader asked us to campaign now.
        this.hup(CampaignType.Transfer);
        return;
      case MessageType.ReadIndex:
        if (this.lead === NONE) {
          if (m.from === NONE || m.from === this.id)
            throw new ProposalDroppedError('no leader to serve ReadIndex');
          return;
        }
        this.send({ ...m, from: m.from === NONE ? this.id : m.from, to: this.lead });
        return;
      case MessageType.ReadIndexResp:
        this.readStates.push({ index: m.index, requestCtx: m.context ?? new Uint8Array(0) });
        return;
      default:
        return;
    }
  }

  private handleAppendEntries(m: Message): void {
    if (m.index < this.raftLog.committed) {
      this.send(newMessage({ type: MessageType.AppResp, to: m.from, index: this.raftLog.committed }));
      return;
    }
    const lastNew = this.raftLog.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== undefined) {
      this.send(newMessage({ type: MessageType.AppResp, to: m.from, index: lastNew }));
    } else {
      this.send(
        newMessage({
          type: MessageType.AppResp,
          to: m.from,
          index: m.index,
          reject: true,
          rejectHint: this.raftLog.lastIndex(),
        }),
      );
    }
  }

  private handleHeartbeat(m: Message): void {
    this.raftLog.commitTo(m.commit);
    this.send(newMessage({ type: MessageType.HeartbeatResp, to: m.from, context: m.context }));
  }

  private handleSnapshot(m: Message): void {
    const s = m.snapshot;
    if (s === undefined) return;
    if (this.restore(s)) {
      this.send(newMessage({ type: MessageType.AppResp, to: m.from, index: this.raftLog.lastIndex() }));
    } else {
      this.send(newMessage({ type: MessageType.AppResp, to: m.from, index: this.raftLog.committed }));
    }
  }

  /** Installs a snapshot from the leader; returns false when it is stale or not for us. */
  private restore(s: Snapshot): boolean {
    if (s.metadata.index <= this.raftLog.committed) return false;
    // Committed entries already handed to the application (in a Ready not yet advanced) may
    // include membership changes that it will apply against our configuration; replacing the
    // configuration under it would make them fail (simulator seed 3018). The leader retries.
    if (this.raftLog.applied < this.raftLog.committed) return false;
    if (this.state !== StateRole.Follower) {
      // Should never happen; step down rather than corrupt a leader's log.
      this.becomeFollower(this.term + 1, NONE);
      return false;
    }
    const cs = s.metadata.confState;
    const inConfig = [...cs.voters, ...cs.learners, ...cs.votersOutgoing].includes(this.id);
    if (!inConfig) return false;
    if (this.raftLog.matchTerm(s.metadata.index, s.metadata.term)) {
      // We already have the snapshot's last entry: just fast-forward the commit index.
      this.raftLog.commitTo(s.metadata.index);
      return false;
    }
    this.raftLog.restore(s);
    this.switchToConfig(restoreConfig(cs, this.trk.maxInflightMsgs, this.raftLog.lastIndex()));
    return true;
  }

  // ---- membership ---------------------------------------------------------------------

  /**
   * Applies a committed membership change (the application calls this when it applies a
   * ConfChange entry). One change is applied simply; several enter a joint configuration
   * (left automatically); an empty change leaves the joint configuration.
   */
  applyConfChange(cc: ConfChange): ConfState {
    const changer = new Changer(
      this.trk.config,
      this.trk.progress,
      this.trk.maxInflightMsgs,
      this.raftLog.lastIndex(),
    );
    let result: ConfigChangeResult;
    if (cc.changes.length === 0) result = changer.leaveJoint();
    else if (cc.changes.length === 1) result = changer.simple(cc.changes);
    else result = changer.enterJoint(true, cc.changes);
    return this.switchToConfig(result);
  }

  private switchToConfig(result: ConfigChangeResult): ConfState {
    this.trk.config = result.config;
    this.trk.progress = result.progress;
    const cs = this.trk.confState();
    const pr = this.trk.progress.get(this.id);
    this.isLearner = pr !== undefined && pr.isLearner;
    if ((pr === undefined || this.isLearner) && this.state === StateRole.Leader) {
      // Removed or demoted leader: step down so that the remaining voters elect a new one.
      this.becomeFollower(this.term, NONE);
      return cs;
    }
    if (this.state !== StateRole.Leader || cs.voters.length === 0) return cs;
    // The quorum changed: something may now be committed, or new members need entries.
    if (this.maybeCommit()) {
      this.releasePendingReadIndexMessages();
      this.bcastAppend();
    } else {
      this.trk.visit((id) => {
        if (id !== this.id) this.maybeSendAppend(id, false);
      });
    }
    if (this.leadTransferee !== NONE && !this.trk.isVoter(this.leadTransferee)) this.abortLeaderTransfer();
    return cs;
  }

  // ---- introspection for Status --------------------------------------------------------

  electionElapsedTicks(): number {
    return this.electionElapsed;
  }
}
