import { SeededRandom } from '../random';
import { NodeId } from '../raftpb';
import { ENTRY_HEADER_BYTES } from '../util';
import { NetworkFaults } from './network';
import { NodeParams } from './sim-node';

/** Length of the faulty phase, in ticks (drawn per seed). */
export const FAULT_PHASE_MIN_TICKS = 100;
export const FAULT_PHASE_MAX_TICKS = 220;
export const MIN_CLUSTER_SIZE = 3;
export const MAX_CLUSTER_SIZE = 7;
/** Share of seeds that use the leader-churn fault profile. */
export const LEADER_CHURN_SHARE = 0.5;

/** Per-seed parameters: every seed draws its own cluster, limits and fault rates. */
export interface Scenario {
  profile: 'mixed' | 'leader-churn';
  voters: NodeId[];
  spares: NodeId[];
  node: NodeParams;
  net: NetworkFaults;
  faultTicks: number;
  diskMaxDelaySteps: number;
  crashRate: number;
  /** Rate at which the current leader in particular is crashed or isolated. */
  leaderFaultRate: number;
  /** Chance that a newly elected leader is struck within a few ticks of its election. */
  newLeaderFaultChance: number;
  /** When a leader is struck: the chance it crashes (otherwise it is isolated). */
  leaderCrashShare: number;
  restartMaxTicks: number;
  tornWriteRate: number;
  partitionRate: number;
  healRate: number;
  proposalRate: number;
  readRate: number;
  confChangeRate: number;
  transferRate: number;
}

/**
 * Per-seed parameters. Most seeds draw a broad mix of faults; a share of them use a
 * "leader churn" profile (small cluster, one-entry messages, leaders failing often) because
 * that is where the subtle cases live: uncommitted tails of several terms competing (the
 * figure-8 scenario of the Raft paper).
 */
export function drawScenario(rng: SeededRandom): Scenario {
  const churn = rng.chance(LEADER_CHURN_SHARE);
  const size = churn ? 5 : rng.between(MIN_CLUSTER_SIZE, 5);
  const spareCount = churn ? 0 : rng.between(0, Math.min(2, MAX_CLUSTER_SIZE - size));
  const ids = Array.from({ length: size + spareCount }, (_, i) => i + 1);
  const oneEntryBytes = ENTRY_HEADER_BYTES + 8;
  return {
    profile: churn ? 'leader-churn' : 'mixed',
    voters: ids.slice(0, size),
    spares: ids.slice(size),
    node: {
      preVote: rng.chance(0.5),
      checkQuorum: !churn && rng.chance(0.5),
      // One entry per message, a few, or effectively unlimited.
      maxSizePerMsgBytes: churn ? oneEntryBytes : rng.pick([oneEntryBytes, 4 * oneEntryBytes, 1024 * 1024]),
      maxInflightMsgs: churn ? rng.between(1, 2) : rng.between(1, 8),
      snapshotEveryEntries: rng.between(4, 40),
      compactionLagEntries: rng.between(0, 5),
    },
    net: {
      dropRate: rng.pick([0, 0.02, 0.1, 0.25]),
      duplicateRate: rng.pick([0, 0.02, 0.1]),
      minDelaySteps: 1,
      maxDelaySteps: rng.between(2, 12),
    },
    faultTicks: rng.between(FAULT_PHASE_MIN_TICKS, FAULT_PHASE_MAX_TICKS),
    diskMaxDelaySteps: rng.between(0, 3),
    crashRate: rng.pick([0, 0.01, 0.03]),
    leaderFaultRate: churn ? rng.pick([0.05, 0.1]) : rng.pick([0, 0.03, 0.08]),
    newLeaderFaultChance: churn ? rng.pick([0.5, 0.8]) : 0,
    leaderCrashShare: churn ? 0.8 : 0.5,
    restartMaxTicks: churn ? 10 : rng.pick([10, 30]),
    tornWriteRate: rng.pick([0, 0.5]),
    partitionRate: rng.pick([0, 0.02, 0.05]),
    healRate: churn ? 0.15 : rng.pick([0.05, 0.15]),
    proposalRate: rng.pick([0.2, 0.5, 1]),
    readRate: rng.pick([0.05, 0.2]),
    confChangeRate: churn ? 0 : rng.pick([0, 0.01, 0.03]),
    transferRate: rng.pick([0, 0.01, 0.03]),
  };
}
