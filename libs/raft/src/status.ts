import { ConfState, NodeId } from './raftpb';
import { StateRole } from './raft';
import { ProgressState } from './tracker';

export interface PeerProgress {
  match: number;
  next: number;
  state: ProgressState;
  isLearner: boolean;
  recentActive: boolean;
}

/** A snapshot of a node's Raft state for monitoring and for deciding learner promotion. */
export interface Status {
  id: NodeId;
  term: number;
  vote: NodeId;
  commit: number;
  applied: number;
  lead: NodeId;
  role: StateRole;
  leadTransferee: NodeId;
  config: ConfState;
  lastIndex: number;
  /** Per-member progress; only a leader has it. */
  progress: Map<NodeId, PeerProgress>;
}
