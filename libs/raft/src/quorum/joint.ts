import { NodeId } from '../raftpb';
import { AckedIndexer, majorityCommittedIndex, majorityVoteResult } from './majority';
import { VoteResult } from './vote-result';

/**
 * A joint configuration: [incoming, outgoing]. Outside of a joint change the outgoing half is
 * empty. Decisions need a majority of both halves.
 */
export type JointConfig = [Set<NodeId>, Set<NodeId>];

export function jointCommittedIndex(c: JointConfig, acked: AckedIndexer): number {
  return Math.min(majorityCommittedIndex(c[0], acked), majorityCommittedIndex(c[1], acked));
}

export function jointVoteResult(c: JointConfig, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  const r1 = majorityVoteResult(c[0], votes);
  const r2 = majorityVoteResult(c[1], votes);
  if (r1 === r2) return r1;
  if (r1 === VoteResult.Lost || r2 === VoteResult.Lost) return VoteResult.Lost;
  return VoteResult.Pending;
}

export function jointIds(c: JointConfig): Set<NodeId> {
  return new Set([...c[0], ...c[1]]);
}
