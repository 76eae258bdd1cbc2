import { jointCommittedIndex, JointConfig, jointVoteResult, VoteResult } from '../quorum';
import { ConfState, NodeId } from '../raftpb';
import { Progress } from './progress';

/** A membership configuration, after etcd's tracker.Config. */
export interface TrackerConfig {
  voters: JointConfig;
  learners: Set<NodeId>;
  /** Voters of the outgoing half being demoted to learners when the joint config is left. */
  learnersNext: Set<NodeId>;
  /** Leave the joint configuration automatically once it is committed and applied. */
  autoLeave: boolean;
}

export function emptyTrackerConfig(): TrackerConfig {
  return { voters: [new Set(), new Set()], learners: new Set(), learnersNext: new Set(), autoLeave: false };
}

export function cloneTrackerConfig(c: TrackerConfig): TrackerConfig {
  return {
    voters: [new Set(c.voters[0]), new Set(c.voters[1])],
    learners: new Set(c.learners),
    learnersNext: new Set(c.learnersNext),
    autoLeave: c.autoLeave,
  };
}

export type ProgressMap = Map<NodeId, Progress>;

const sorted = (s: Iterable<NodeId>): NodeId[] => [...s].sort((a, b) => a - b);

export function confStateOf(c: TrackerConfig): ConfState {
  return {
    voters: sorted(c.voters[0]),
    votersOutgoing: sorted(c.voters[1]),
    learners: sorted(c.learners),
    learnersNext: sorted(c.learnersNext),
    autoLeave: c.autoLeave,
  };
}

/** The configuration, each member's progress, and the votes of the current election. */
export class ProgressTracker {
  config: TrackerConfig = emptyTrackerConfig();
  progress: ProgressMap = new Map();
  private votes = new Map<NodeId, boolean>();
  /** visit()'s order, kept for the map it was computed from (see visit). */
  private visitOrder: NodeId[] = [];
  private visitOrderFor: ProgressMap | undefined;
  private visitOrderSize = -1;

  constructor(readonly maxInflightMsgs: number) {}

  confState(): ConfState {
    return confStateOf(this.config);
  }

  isJoint(): boolean {
    return this.config.voters[1].size > 0;
  }

  isSingleton(): boolean {
    return this.config.voters[0].size === 1 && this.config.voters[1].size === 0;
  }

  isVoter(id: NodeId): boolean {
    return this.config.voters[0].has(id) || this.config.voters[1].has(id);
  }

  /** The largest index durable on a quorum of voters. */
  committed(): number {
    return jointCommittedIndex(this.config.voters, (id) => this.progress.get(id)?.match);
  }

  /** Visits members in ascending id order, so that output never depends on insertion order. */
  visit(fn: (id: NodeId, pr: Progress) => void): void {
    // Visits run several times per write on a leader: the sorted ids are kept rather than
    // sorted each time. Membership changes install a new map (see the changer), and the only
    // change in place replaces progress of existing ids, so the map and its size identify the
    // id set; an id found missing is skipped rather than trusted.
    const progress = this.progress;
    if (progress !== this.visitOrderFor || progress.size !== this.visitOrderSize) {
      this.visitOrder = sorted(progress.keys());
      this.visitOrderFor = progress;
      this.visitOrderSize = progress.size;
    }
    for (const id of this.visitOrder) {
      const pr = progress.get(id);
      if (pr) fn(id, pr);
    }
  }

  /** Whether a quorum of voters was recently active (CheckQuorum). */
  quorumActive(): boolean {
    const votes = new Map<NodeId, boolean>();
    this.visit((id, pr) => {
      if (!pr.isLearner) votes.set(id, pr.recentActive);
    });
    return jointVoteResult(this.config.voters, votes) === VoteResult.Won;
  }

  voterNodes(): NodeId[] {
    return sorted(new Set([...this.config.voters[0], ...this.config.voters[1]]));
  }

  learnerNodes(): NodeId[] {
    return sorted(this.config.learners);
  }

  resetVotes(): void {
    this.votes = new Map();
  }

  /** Records the first vote of id in this election; later ones are ignored. */
  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const [id, pr] of this.progress) {
      if (pr.isLearner) continue;
      const v = this.votes.get(id);
      if (v === undefined) continue;
      if (v) granted++;
      else rejected++;
    }
    return { granted, rejected, result: jointVoteResult(this.config.voters, this.votes) };
  }
}
