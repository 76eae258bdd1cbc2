import { RaftConfigError } from './errors';
import { NodeId, NONE } from './raftpb';
import { RandomSource } from './random';
import { Storage } from './storage';

/** Default cap on the entry bytes of one MsgApp (etcd's server default is 1 MiB). */
export const MAX_SIZE_PER_MSG_BYTES = 1024 * 1024;
/** Default number of MsgApp a leader may have in flight to one follower. */
export const MAX_INFLIGHT_MSGS = 256;
/** Default cap on the committed entry bytes handed to the application in one Ready. */
export const MAX_COMMITTED_SIZE_PER_READY_BYTES = 8 * 1024 * 1024;

export interface RaftConfig {
  /** This node's id; never NONE (0). */
  id: NodeId;
  /** Ticks without hearing from a leader before campaigning (randomized in [e, 2e)). */
  electionTick: number;
  /** Ticks between leader heartbeats; must be less than electionTick. */
  heartbeatTick: number;
  storage: Storage;
  /** Last index the application applied before a restart (0 for a new node). */
  applied?: number;
  maxSizePerMsgBytes?: number;
  maxInflightMsgs?: number;
  maxCommittedSizePerReadyBytes?: number;
  /**
   * A leader drops proposals while this many entries are appended but not committed, so
   * that a slow or partitioned quorum cannot make the log grow without bound. 0: no limit.
   */
  maxUncommittedEntries?: number;
  /** A leader steps down when it has not heard from a quorum within an election timeout. */
  checkQuorum?: boolean;
  /** Campaign with a PreVote round first, so a partitioned node rejoining does not disrupt. */
  preVote?: boolean;
  /** Drop proposals at followers instead of forwarding them to the leader. */
  disableProposalForwarding?: boolean;
  /** Seeded randomness for election timeouts. */
  random: RandomSource;
}

export type ResolvedRaftConfig = Required<RaftConfig>;

export function resolveConfig(c: RaftConfig): ResolvedRaftConfig {
  if (c.id === NONE) throw new RaftConfigError('cannot use none as id');
  if (!(c.heartbeatTick > 0)) throw new RaftConfigError('heartbeat tick must be greater than 0');
  if (!(c.electionTick > c.heartbeatTick))
    throw new RaftConfigError('election tick must be greater than heartbeat tick');
  const resolved: ResolvedRaftConfig = {
    applied: 0,
    maxSizePerMsgBytes: MAX_SIZE_PER_MSG_BYTES,
    maxInflightMsgs: MAX_INFLIGHT_MSGS,
    maxCommittedSizePerReadyBytes: MAX_COMMITTED_SIZE_PER_READY_BYTES,
    maxUncommittedEntries: 0,
    checkQuorum: false,
    preVote: false,
    disableProposalForwarding: false,
    ...c,
  };
  if (!(resolved.maxInflightMsgs > 0))
    throw new RaftConfigError('max inflight messages must be greater than 0');
  if (!(resolved.maxSizePerMsgBytes > 0))
    throw new RaftConfigError('max size per message must be greater than 0');
  return resolved;
}
