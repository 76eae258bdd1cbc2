import { RaftConfig } from '../config';
import { Raft } from '../raft';
import { Message, MessageType, NONE } from '../raftpb';
import { StateRole } from '../raft';
import { newMessage } from '../util';

/**
 * Deliberately broken variants of the core. They exist to prove that the simulator's
 * invariant checks can fail: each must be caught within a few hundred seeds.
 */
export const MUTANTS = ['vote-twice', 'commit-old-term', 'stale-read'] as const;
export type MutantName = (typeof MUTANTS)[number];

export function isMutantName(s: string): s is MutantName {
  return (MUTANTS as readonly string[]).includes(s);
}

/** Grants a MsgVote whenever the candidate's log is up to date, even after voting for another. */
class VoteTwiceRaft extends Raft {
  protected override canVote(m: Message): boolean {
    return m.type === MessageType.Vote || super.canVote(m);
  }
}

/** Commits whatever a quorum holds, even an entry of an earlier term (Raft paper, figure 8). */
class CommitOldTermRaft extends Raft {
  protected override maybeCommit(): boolean {
    const mci = this.trk.committed();
    if (mci > this.raftLog.committed && mci <= this.raftLog.lastIndex()) {
      this.raftLog.commitTo(mci);
      return true;
    }
    return false;
  }
}

/**
 * Answers ReadIndex from the leader's own commit index without a heartbeat round, i.e.
 * trusts that it is still the leader (a lease without clocks).
 */
class StaleReadRaft extends Raft {
  override step(m: Message): void {
    if (m.type !== MessageType.ReadIndex || this.state !== StateRole.Leader) return super.step(m);
    const index = this.raftLog.committed;
    const requestCtx = m.context ?? new Uint8Array(0);
    if (m.from === NONE || m.from === this.id) {
      this.readStates.push({ index, requestCtx });
    } else {
      this.msgsAfterPersist.push(
        newMessage({
          type: MessageType.ReadIndexResp,
          from: this.id,
          to: m.from,
          term: this.term,
          index,
          context: requestCtx,
        }),
      );
    }
  }
}

export function newRaft(config: RaftConfig, mutant: MutantName | undefined): Raft {
  switch (mutant) {
    case 'vote-twice':
      return new VoteTwiceRaft(config);
    case 'commit-old-term':
      return new CommitOldTermRaft(config);
    case 'stale-read':
      return new StaleReadRaft(config);
    default:
      return new Raft(config);
  }
}
