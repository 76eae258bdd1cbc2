import { Entry, NodeId, Snapshot } from '../raftpb';
import { StateRole } from '../raft';
import { Ready } from '../ready';
import { entryDigest } from './hash';
import { decodeAppState, NodeObserver, SimNode } from './sim-node';

/** A safety property that failed, with the sim step at which it was seen. */
export interface Violation {
  step: number;
  invariant: string;
  detail: string;
}

interface CommittedEntry {
  term: number;
  digest: number;
}

interface LoggedEntry {
  digest: number;
  /** Term of the entry just before it; pins the whole prefix by induction (log matching). */
  prevTerm: number;
}

/**
 * Checks Raft's safety properties against what the nodes do. Each node reports Readys,
 * applied entries and installed snapshots; the checker keeps global records (leader of each
 * term, entry at each (index, term), state at each applied index) and flags contradictions.
 */
export class InvariantChecker implements NodeObserver {
  readonly violations: Violation[] = [];
  step = 0;
  private readonly leaderOfTerm = new Map<number, NodeId>();
  private readonly logged = new Map<string, LoggedEntry>();
  private readonly committed = new Map<number, CommittedEntry>();
  private readonly stateAt = new Map<number, number>();
  /** Highest index any node has claimed committed (in memory). */
  maxCommitted = 0;
  private readonly lastCommitSeen = new Map<string, number>();
  private readonly leaderChecked = new Set<string>();
  /** The committed entry with the highest index: holding it implies holding all before it. */
  private lastCommitted = { index: 0, term: 0 };

  private fail(invariant: string, detail: string): void {
    this.violations.push({ step: this.step, invariant, detail });
  }

  get failed(): boolean {
    return this.violations.length > 0;
  }

  /** After every step: at most one leader per term, and leader completeness for new leaders. */
  checkNodes(nodes: Iterable<SimNode>): void {
    for (const n of nodes) {
      const raft = n.raw?.raft;
      if (raft === undefined || raft.state !== StateRole.Leader) continue;
      const other = this.leaderOfTerm.get(raft.term);
      if (other === undefined) this.leaderOfTerm.set(raft.term, n.id);
      else if (other !== n.id)
        this.fail('election-safety', `term ${raft.term} has two leaders: ${other} and ${n.id}`);
      const key = `${n.id}@${raft.term}`;
      if (this.leaderChecked.has(key)) continue;
      this.leaderChecked.add(key);
      this.checkLeaderCompleteness(n);
    }
  }

  private checkLeaderCompleteness(n: SimNode): void {
    const log = n.raw!.raft.raftLog;
    const first = log.firstIndex();
    for (const [index, c] of this.committed) {
      if (index < first) continue; // covered by the snapshot this log starts from
      const t = log.maybeTerm(index);
      if (t !== c.term) {
        this.fail(
          'leader-completeness',
          `leader ${n.id} (term ${n.raw!.raft.term}) lacks committed entry ${index}/t${c.term} (has t${t ?? 'none'})`,
        );
        return;
      }
    }
  }

  onReady(node: SimNode, rd: Ready): void {
    const raft = node.raw!.raft;
    const key = `${node.id}#${node.incarnation}`;
    if (rd.hardState !== undefined) {
      const before = this.lastCommitSeen.get(key) ?? 0;
      if (rd.hardState.commit < before) {
        this.fail(
          'commit-monotonic',
          `node ${node.id} commit went back from ${before} to ${rd.hardState.commit}`,
        );
      }
      this.lastCommitSeen.set(key, rd.hardState.commit);
      this.maxCommitted = Math.max(this.maxCommitted, rd.hardState.commit);
      this.recordCommitted(node, Math.max(before, raft.raftLog.firstIndex() - 1), rd.hardState.commit);
    }
    for (const e of rd.entries) this.checkLogMatching(node.id, e, raft.raftLog.termOrZero(e.index - 1));
  }

  /** A node claims (lo, hi] committed: remember those entries; they must never change. */
  private recordCommitted(node: SimNode, lo: number, hi: number): void {
    if (hi <= lo) return;
    for (const e of node.raw!.raft.raftLog.slice(lo + 1, hi + 1, Number.MAX_SAFE_INTEGER)) {
      this.recordCommittedEntry(node, e);
    }
  }

  private recordCommittedEntry(node: SimNode, e: Entry): void {
    const c = this.committed.get(e.index);
    const digest = entryDigest(e);
    if (e.index > this.lastCommitted.index) this.lastCommitted = { index: e.index, term: e.term };
    if (c === undefined) this.committed.set(e.index, { term: e.term, digest });
    else if (c.term !== e.term || c.digest !== digest) {
      this.fail(
        'state-machine-safety',
        `node ${node.id} committed ${e.index}/t${e.term}, but t${c.term} was committed before`,
      );
    }
  }

  private checkLogMatching(id: NodeId, e: Entry, prevTerm: number): void {
    const key = `${e.index}:${e.term}`;
    const digest = entryDigest(e);
    const seen = this.logged.get(key);
    if (seen === undefined) {
      this.logged.set(key, { digest, prevTerm });
      return;
    }
    if (seen.digest !== digest) {
      this.fail('log-matching', `node ${id} has a different entry at ${key} than another node`);
    } else if (seen.prevTerm !== prevTerm && prevTerm !== 0 && seen.prevTerm !== 0) {
      this.fail(
        'log-matching',
        `node ${id}: entry ${key} follows term ${prevTerm}, elsewhere term ${seen.prevTerm}`,
      );
    }
  }

  onApplied(node: SimNode, e: Entry, stateHash: number): void {
    this.recordCommittedEntry(node, e);
    this.maxCommitted = Math.max(this.maxCommitted, e.index);
    this.checkState(node, e.index, stateHash);
  }

  onSnapshotInstalled(node: SimNode, snap: Snapshot): void {
    const app = decodeAppState(snap.data);
    if (app.appliedIndex !== snap.metadata.index) {
      this.fail(
        'snapshot',
        `node ${node.id}: snapshot ${snap.metadata.index} holds state of ${app.appliedIndex}`,
      );
    }
    this.checkState(node, snap.metadata.index, app.stateHash);
  }

  /** Applied prefixes are identical: the state hash at each index is the same everywhere. */
  private checkState(node: SimNode, index: number, stateHash: number): void {
    const known = this.stateAt.get(index);
    if (known === undefined) this.stateAt.set(index, stateHash);
    else if (known !== stateHash) {
      this.fail('state-machine-safety', `node ${node.id} state at ${index} differs from another node's`);
    }
  }

  onAppliedIndexMoved(node: SimNode, from: number, to: number, viaSnapshot: boolean): void {
    if (viaSnapshot ? to <= from : to !== from + 1) {
      this.fail('applied-monotonic', `node ${node.id} applied index moved from ${from} to ${to}`);
    }
  }

  onDurableHardStateWritten(node: SimNode, commit: number, previous: number): void {
    if (commit < previous)
      this.fail('commit-monotonic', `node ${node.id} durable commit went back from ${previous} to ${commit}`);
  }

  /** A ReadIndex answer must cover every write committed before the read was issued. */
  onReadServed(node: SimNode, readIndex: number, committedAtStart: number, appliedNow: number): void {
    if (readIndex < committedAtStart || appliedNow < committedAtStart) {
      this.fail(
        'linearizable-read',
        `node ${node.id} served a read at index ${readIndex} (applied ${appliedNow}) but ${committedAtStart} was committed before it began`,
      );
    }
  }

  /**
   * No committed entry can be lost: a voter lacking the last committed entry must not be able
   * to win an election, i.e. its log must not be at least as up to date as a quorum's (the
   * argument of Raft §5.4.3). Voters that are down are judged by their disk. Only meaningful
   * with a fixed voter set, so the simulator calls it in runs without membership changes.
   */
  checkCommittedEntryElectable(nodes: ReadonlyMap<NodeId, SimNode>, voters: readonly NodeId[]): void {
    const { index, term } = this.lastCommitted;
    if (index === 0) return;
    const views = voters.map((id) => logView(nodes.get(id)!));
    const quorum = Math.floor(voters.length / 2) + 1;
    for (let v = 0; v < views.length; v++) {
      if (views[v].holds(index, term)) continue;
      let approvals = 0;
      for (const w of views) {
        if (
          views[v].lastTerm > w.lastTerm ||
          (views[v].lastTerm === w.lastTerm && views[v].lastIndex >= w.lastIndex)
        ) {
          approvals++;
        }
      }
      if (approvals >= quorum) {
        this.fail(
          'committed-entry-lost',
          `node ${voters[v]} lacks committed entry ${index}/t${term} yet its log is as up to date as a quorum's: it can be elected and overwrite it`,
        );
        return;
      }
    }
  }

  /** No committed entry is lost: the final leader holds every one of them. */
  checkFinal(leader: SimNode): void {
    this.checkLeaderCompleteness(leader);
  }

  committedCount(): number {
    return this.committed.size;
  }
}

interface LogView {
  lastIndex: number;
  lastTerm: number;
  holds(index: number, term: number): boolean;
}

/** A node's log as an election would see it: in memory when up, on disk when down. */
function logView(n: SimNode): LogView {
  const log = n.raw?.raft.raftLog;
  if (log !== undefined) {
    return {
      lastIndex: log.lastIndex(),
      lastTerm: log.lastTerm(),
      // Below the first index the entry is inside a snapshot, which only holds committed state.
      holds: (i, t) => i < log.firstIndex() || log.maybeTerm(i) === t,
    };
  }
  const disk = n.disk;
  const termAt = (i: number): number | undefined => {
    try {
      return disk.term(i);
    } catch {
      return undefined;
    }
  };
  return {
    lastIndex: disk.lastIndex(),
    lastTerm: termAt(disk.lastIndex()) ?? 0,
    holds: (i, t) => i < disk.firstIndex() || termAt(i) === t,
  };
}
