import { NodeId } from '../raftpb';
import { VoteResult } from './vote-result';

/** Looks up the acknowledged (durable) index of a voter; undefined when unknown. */
export type AckedIndexer = (id: NodeId) => number | undefined;

/**
 * The largest index acknowledged by a majority of `voters`. An empty configuration imposes
 * no constraint (Infinity), so that a joint config with an empty half behaves as the other half.
 */
export function majorityCommittedIndex(voters: ReadonlySet<NodeId>, acked: AckedIndexer): number {
  const n = voters.size;
  if (n === 0) return Infinity;
  // Runs on every acknowledgement the leader gets: an insertion sort of the few indexes in
  // place, where Array.prototype.sort allocates a work copy per call (GC on the write path).
  const indexes = new Array<number>(n);
  let filled = 0;
  for (const id of voters) {
    const index = acked(id) ?? 0;
    let at = filled++;
    while (at > 0 && indexes[at - 1] > index) {
      indexes[at] = indexes[at - 1];
      at--;
    }
    indexes[at] = index;
  }
  // With n voters sorted ascending, the entry at n - quorum is held by at least quorum voters.
  return indexes[n - majoritySize(n)];
}

export function majoritySize(n: number): number {
  return Math.floor(n / 2) + 1;
}

/** Tallies votes of a majority configuration; a missing vote is neither yes nor no. */
export function majorityVoteResult(
  voters: ReadonlySet<NodeId>,
  votes: ReadonlyMap<NodeId, boolean>,
): VoteResult {
  if (voters.size === 0) return VoteResult.Won;
  let yes = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) yes++;
  }
  const q = majoritySize(voters.size);
  if (yes >= q) return VoteResult.Won;
  if (yes + missing >= q) return VoteResult.Pending;
  return VoteResult.Lost;
}
