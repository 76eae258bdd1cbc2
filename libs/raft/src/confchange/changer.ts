import { ConfChangeError } from '../errors';
import { ConfChangeSingle, ConfChangeType, ConfState, NodeId } from '../raftpb';
import { Progress } from '../tracker/progress';
import { cloneTrackerConfig, ProgressMap, TrackerConfig } from '../tracker/progress-tracker';

/** A new configuration and the progress map that goes with it. */
export interface ConfigChangeResult {
  config: TrackerConfig;
  progress: ProgressMap;
}

/**
 * Computes configurations from membership changes, after etcd's confchange/confchange.go.
 * Never mutates its inputs: the result replaces the tracker's config only when it is valid.
 */
export class Changer {
  constructor(
    private readonly config: TrackerConfig,
    private readonly progress: ProgressMap,
    private readonly maxInflightMsgs: number,
    /** New members start probing at the leader's last index. */
    private readonly lastIndex: number,
  ) {}

  /** Enters a joint configuration: outgoing = current voters, incoming = voters after ccs. */
  enterJoint(autoLeave: boolean, ccs: ConfChangeSingle[]): ConfigChangeResult {
    const { config, progress } = this.checkAndCopy();
    if (config.voters[1].size > 0) throw new ConfChangeError('config is already joint');
    if (config.voters[0].size === 0) throw new ConfChangeError("can't make a zero-voter config joint");
    config.voters[1] = new Set(config.voters[0]);
    this.apply(config, progress, ccs);
    config.autoLeave = autoLeave;
    return checkAndReturn(config, progress);
  }

  /** Leaves a joint configuration: outgoing voters not in the incoming half are dropped. */
  leaveJoint(): ConfigChangeResult {
    const { config, progress } = this.checkAndCopy();
    if (config.voters[1].size === 0) throw new ConfChangeError("can't leave a non-joint config");
    for (const id of config.learnersNext) {
      config.learners.add(id);
      progress.get(id)!.isLearner = true;
    }
    config.learnersNext = new Set();
    for (const id of config.voters[1]) {
      const isVoter = config.voters[0].has(id);
      const isLearner = config.learners.has(id);
      if (!isVoter && !isLearner) progress.delete(id);
    }
    config.voters[1] = new Set();
    config.autoLeave = false;
    return checkAndReturn(config, progress);
  }

  /** Applies changes that alter at most one voter, without a joint configuration. */
  simple(ccs: ConfChangeSingle[]): ConfigChangeResult {
    const { config, progress } = this.checkAndCopy();
    if (config.voters[1].size > 0)
      throw new ConfChangeError("can't apply simple config change in joint config");
    this.apply(config, progress, ccs);
    const before = this.config.voters[0];
    const after = config.voters[0];
    let changed = 0;
    for (const id of before) if (!after.has(id)) changed++;
    for (const id of after) if (!before.has(id)) changed++;
    if (changed > 1) throw new ConfChangeError('more than one voter changed without entering joint config');
    return checkAndReturn(config, progress);
  }

  private apply(config: TrackerConfig, progress: ProgressMap, ccs: ConfChangeSingle[]): void {
    for (const cc of ccs) {
      if (cc.nodeId === 0) continue; // etcd ignores changes to node 0.
      switch (cc.type) {
        case ConfChangeType.AddNode:
          this.makeVoter(config, progress, cc.nodeId);
          break;
        case ConfChangeType.AddLearnerNode:
          this.makeLearner(config, progress, cc.nodeId);
          break;
        case ConfChangeType.RemoveNode:
          remove(config, progress, cc.nodeId);
          break;
        default:
          throw new ConfChangeError(`unexpected conf type ${String(cc.type)}`);
      }
    }
    if (config.voters[0].size === 0) throw new ConfChangeError('removed all voters');
  }

  private makeVoter(config: TrackerConfig, progress: ProgressMap, id: NodeId): void {
    const pr = progress.get(id);
    if (pr === undefined) {
      this.initProgress(config, progress, id, false);
      return;
    }
    pr.isLearner = false;
    config.learners.delete(id);
    config.learnersNext.delete(id);
    config.voters[0].add(id);
  }

  private makeLearner(config: TrackerConfig, progress: ProgressMap, id: NodeId): void {
    const pr = progress.get(id);
    if (pr === undefined) {
      this.initProgress(config, progress, id, true);
      return;
    }
    if (pr.isLearner) return;
    remove(config, progress, id);
    progress.set(id, pr);
    // A voter of the outgoing half cannot become a learner before the joint config is left.
    if (config.voters[1].has(id)) {
      config.learnersNext.add(id);
    } else {
      pr.isLearner = true;
      config.learners.add(id);
    }
  }

  private initProgress(config: TrackerConfig, progress: ProgressMap, id: NodeId, isLearner: boolean): void {
    if (isLearner) config.learners.add(id);
    else config.voters[0].add(id);
    const pr = new Progress(Math.max(this.lastIndex, 1), this.maxInflightMsgs, isLearner);
    // A new member counts as active so that CheckQuorum does not depose the leader at once.
    pr.recentActive = true;
    progress.set(id, pr);
  }

  private checkAndCopy(): ConfigChangeResult {
    const config = cloneTrackerConfig(this.config);
    const progress: ProgressMap = new Map();
    // Copies, so that a change refused half-way leaves the tracker untouched.
    for (const [id, pr] of this.progress) progress.set(id, pr.clone());
    checkInvariants(config, progress);
    return { config, progress };
  }
}

function remove(config: TrackerConfig, progress: ProgressMap, id: NodeId): void {
  if (!progress.has(id)) return;
  config.voters[0].delete(id);
  config.learners.delete(id);
  config.learnersNext.delete(id);
  // Still tracked while it is a voter of the outgoing half.
  if (!config.voters[1].has(id)) progress.delete(id);
}

function checkAndReturn(config: TrackerConfig, progress: ProgressMap): ConfigChangeResult {
  checkInvariants(config, progress);
  return { config, progress };
}

function checkInvariants(config: TrackerConfig, progress: ProgressMap): void {
  const all = [...config.voters[0], ...config.voters[1], ...config.learners, ...config.learnersNext];
  for (const id of all) {
    if (!progress.has(id)) throw new ConfChangeError(`no progress for ${id}`);
  }
  for (const id of config.learnersNext) {
    if (!config.voters[1].has(id)) throw new ConfChangeError(`${id} is in LearnersNext, but not Voters[1]`);
    if (progress.get(id)!.isLearner)
      throw new ConfChangeError(`${id} is in LearnersNext, but is already marked as learner`);
  }
  for (const id of config.learners) {
    if (config.voters[0].has(id) || config.voters[1].has(id)) {
      throw new ConfChangeError(`${id} is both a learner and a voter`);
    }
    if (!progress.get(id)!.isLearner)
      throw new ConfChangeError(`${id} is in Learners, but is not marked as learner`);
  }
}

/** Rebuilds the configuration a ConfState describes (after a restart or a snapshot). */
export function restoreConfig(cs: ConfState, maxInflightMsgs: number, lastIndex: number): ConfigChangeResult {
  const config: TrackerConfig = {
    voters: [new Set(cs.voters), new Set(cs.votersOutgoing)],
    learners: new Set(cs.learners),
    learnersNext: new Set(cs.learnersNext),
    autoLeave: cs.autoLeave,
  };
  const progress: ProgressMap = new Map();
  const ids = new Set([...cs.voters, ...cs.votersOutgoing, ...cs.learners, ...cs.learnersNext]);
  for (const id of [...ids].sort((a, b) => a - b)) {
    progress.set(id, new Progress(Math.max(lastIndex, 1), maxInflightMsgs, config.learners.has(id)));
  }
  checkInvariants(config, progress);
  return { config, progress };
}
