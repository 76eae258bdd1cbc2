import { ProposalDroppedError } from '../errors';
import { ConfChangeSingle, ConfChangeType, ConfState, EntryType, MessageType, NodeId } from '../raftpb';
import { SeededRandom } from '../random';
import { StateRole } from '../raft';
import { InvariantChecker, Violation } from './invariants';
import { MutantName } from './mutants';
import { describe, HEALTHY_NETWORK, SimNetwork } from './network';
import { drawScenario, Scenario } from './scenario';
import { SimNode } from './sim-node';

/** Sim steps per Raft tick: messages and disk writes complete between ticks. */
export const STEPS_PER_TICK = 4;
/**
 * After healing, a leader must be elected and commit a new entry within this many ticks (20
 * election timeouts). Without PreVote, hopeless candidates keep resetting the timers of the
 * one that could win; seed 8625 once needed 139 ticks to converge, so the bound is generous.
 */
export const LIVENESS_BOUND_TICKS = 200;
/** Ticks the healed cluster keeps running after liveness was shown, so that everyone catches up. */
export const SETTLE_TICKS = 20;
/** Voters are never removed below this count. */
const MIN_VOTERS = 3;

export interface SimOptions {
  seed: number;
  mutant?: MutantName;
  /** Receives every event of the run, in order; output is identical for the same seed. */
  trace?: (line: string) => void;
}

export interface SimStats {
  nodes: number;
  ticks: number;
  committed: number;
  proposals: number;
  droppedProposals: number;
  readsServed: number;
  crashes: number;
  confChanges: number;
  transfers: number;
}

export interface SimResult {
  seed: number;
  violations: Violation[];
  stats: SimStats;
}

interface PendingRead {
  node: NodeId;
  committedAtStart: number;
  index?: number;
}

const HEAL_MARKER = 'heal:';
const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

/** One seeded run: a faulty phase checked for safety, then a healed phase checked for liveness. */
class Simulation {
  private readonly rng: SeededRandom;
  private readonly sc: Scenario;
  private readonly nodes = new Map<NodeId, SimNode>();
  private readonly net: SimNetwork;
  private readonly checker = new InvariantChecker();
  private readonly restartAtTick = new Map<NodeId, number>();
  private readonly retired = new Set<NodeId>();
  private readonly reads = new Map<string, PendingRead>();
  private readonly stats: SimStats;
  private step = 0;
  private tickCount = 0;
  private proposalSeq = 0;
  private readSeq = 0;
  private healed = false;
  /** Ticks at which the leader of the time is struck (new-leader nemesis). */
  private readonly leaderStrikes: number[] = [];
  private livenessShown = false;

  constructor(private readonly opts: SimOptions) {
    this.rng = new SeededRandom(opts.seed);
    this.sc = drawScenario(this.rng);
    this.net = new SimNetwork(this.rng, opts.trace && ((l) => this.trace(l)), (from, to, ok) =>
      this.reportSnapshot(from, to, ok),
    );
    this.net.faults = this.sc.net;
    for (const id of [...this.sc.voters, ...this.sc.spares]) {
      this.nodes.set(id, new SimNode(id, this.sc.voters, this.sc.node, opts.mutant, opts.seed * 8 + id));
    }
    for (const id of this.sc.voters) this.nodes.get(id)!.start();
    this.stats = {
      nodes: this.nodes.size,
      ticks: 0,
      committed: 0,
      proposals: 0,
      droppedProposals: 0,
      readsServed: 0,
      crashes: 0,
      confChanges: 0,
      transfers: 0,
    };
    this.trace(`scenario ${JSON.stringify(this.sc)}`);
  }

  private trace(line: string): void {
    this.opts.trace?.(`[${this.opts.seed}] s${this.step} ${line}`);
  }

  run(): SimResult {
    try {
      this.runPhase(this.sc.faultTicks, true);
      if (!this.checker.failed) this.heal();
      if (!this.checker.failed) this.runHealed();
    } catch (err) {
      // A thrown invariant inside the core (e.g. committing past the log) is a finding too.
      const e = err as Error;
      this.checker.violations.push({
        step: this.step,
        invariant: 'panic',
        detail: `${e.name}: ${e.message}`,
      });
    }
    this.stats.ticks = this.tickCount;
    this.stats.committed = this.checker.committedCount();
    for (const v of this.checker.violations) this.trace(`VIOLATION ${v.invariant}: ${v.detail}`);
    if (this.checker.failed) this.traceFinalState();
    return { seed: this.opts.seed, violations: this.checker.violations, stats: this.stats };
  }

  private traceFinalState(): void {
    for (const n of this.nodes.values()) {
      const st = n.raw?.status();
      const state = st
        ? `t${st.term} ${st.role} lead ${st.lead} commit ${st.commit} applied ${st.applied} last ${st.lastIndex} voters ${st.config.voters.join(',')}`
        : 'down';
      this.trace(`final ${n.id}: ${state}; disk ${n.disk.firstIndex()}..${n.disk.lastIndex()}`);
    }
  }

  private runPhase(ticks: number, faulty: boolean): void {
    for (let t = 0; t < ticks && !this.checker.failed; t++) {
      this.onTick(faulty);
      for (let s = 0; s < STEPS_PER_TICK && !this.checker.failed; s++) this.runStep();
      if (this.healed && this.livenessShown) return;
    }
  }

  private heal(): void {
    this.healed = true;
    this.trace('heal: network healthy, every member restarted');
    this.net.healAll();
    this.net.faults = HEALTHY_NETWORK;
    for (const [id, n] of this.nodes) {
      if (!n.up && !this.retired.has(id) && this.restartAtTick.has(id)) this.restart(id);
    }
  }

  private runHealed(): void {
    this.runPhase(LIVENESS_BOUND_TICKS, false);
    if (this.checker.failed) return;
    if (!this.livenessShown) {
      this.checker.violations.push({
        step: this.step,
        invariant: 'liveness',
        detail: `no leader committed a new entry within ${LIVENESS_BOUND_TICKS} ticks after healing`,
      });
      return;
    }
    this.runPhase(SETTLE_TICKS, false);
    const leader = this.leader();
    if (leader !== undefined) this.checker.checkFinal(leader);
  }

  private leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.nodes.values()) {
      const r = n.raw?.raft;
      if (r?.state === StateRole.Leader && (best === undefined || r.term > best.raw!.raft.term)) best = n;
    }
    return best;
  }

  private upNodes(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.up);
  }

  // ---- one step: deliver, complete disk writes, collect Readys, check -------------------

  private runStep(): void {
    this.step++;
    this.checker.step = this.step;
    for (const m of this.net.due(this.step)) {
      const n = this.nodes.get(m.to);
      if (n === undefined || !n.up) continue;
      this.trace(`deliver ${describe(m)}`);
      if (m.type === MessageType.Snap) this.reportSnapshot(m.from, m.to, true);
      n.raw!.step(m);
    }
    for (const n of this.nodes.values()) {
      if (n.pending !== undefined && n.pending.doneAt <= this.step) this.completeReady(n);
    }
    for (const n of this.nodes.values()) {
      if (!n.up || n.pending !== undefined || !n.raw!.hasReady()) continue;
      const rd = n.raw!.ready();
      this.checker.onReady(n, rd);
      if (this.opts.trace) {
        this.trace(
          `ready ${n.id}: ents ${rd.entries.length ? `${rd.entries[0].index}..${rd.entries[rd.entries.length - 1].index}` : '-'}` +
            ` hs ${rd.hardState ? `t${rd.hardState.term} v${rd.hardState.vote} c${rd.hardState.commit}` : '-'}` +
            ` apply ${rd.committedEntries.length} snap ${rd.snapshot?.metadata.index ?? '-'}` +
            `${rd.softState ? ` role ${rd.softState.role} lead ${rd.softState.lead}` : ''}`,
        );
      }
      if (
        rd.softState?.role === StateRole.Leader &&
        !this.healed &&
        this.rng.chance(this.sc.newLeaderFaultChance)
      ) {
        // Either cut the new leader off before its first MsgApp leaves, or strike it a
        // little later, after it replicated part of its log.
        if (this.rng.chance(0.5)) this.isolate(n.id, 'new leader');
        else this.leaderStrikes.push(this.tickCount + this.rng.between(0, 3));
      }
      for (const m of rd.messages) this.net.send(this.step, m);
      n.pending = { rd, doneAt: this.step + this.rng.between(0, this.sc.diskMaxDelaySteps) };
      if (n.pending.doneAt <= this.step) this.completeReady(n);
    }
    this.checker.checkNodes(this.nodes.values());
    if (this.stats.confChanges === 0) this.checker.checkCommittedEntryElectable(this.nodes, this.sc.voters);
  }

  private completeReady(n: SimNode): void {
    const { rd } = n.pending!;
    n.pending = undefined;
    n.persist(rd, this.checker);
    for (const m of rd.messagesAfterPersist) this.net.send(this.step, m);
    const before = n.app.appliedIndex;
    if (rd.snapshot !== undefined)
      this.checker.onAppliedIndexMoved(n, before, rd.snapshot.metadata.index, true);
    const confBefore = n.confState;
    n.apply(rd, this.checker);
    let prev = rd.snapshot?.metadata.index ?? before;
    for (const e of rd.committedEntries) {
      this.checker.onAppliedIndexMoved(n, prev, e.index, false);
      prev = e.index;
      if (
        this.healed &&
        e.type === EntryType.Normal &&
        Buffer.from(e.data).toString('latin1').startsWith(HEAL_MARKER)
      ) {
        if (!this.livenessShown) this.trace(`liveness shown: ${n.id} applied ${e.index}`);
        this.livenessShown = true;
      }
    }
    for (const rs of rd.readStates) {
      const read = this.reads.get(Buffer.from(rs.requestCtx).toString('latin1'));
      if (read !== undefined && read.node === n.id) read.index = rs.index;
    }
    n.raw!.advance(rd);
    this.serveReads(n);
    n.maybeCompact();
    // Last: retiring may shut this very node down.
    if (n.confState !== confBefore) this.retireRemoved(confBefore, n.confState);
  }

  private serveReads(n: SimNode): void {
    for (const [ctx, read] of this.reads) {
      if (read.node !== n.id || read.index === undefined || n.app.appliedIndex < read.index) continue;
      this.checker.onReadServed(n, read.index, read.committedAtStart, n.app.appliedIndex);
      this.trace(
        `read ${ctx} served by ${n.id} at ${read.index} (committed at start ${read.committedAtStart})`,
      );
      this.stats.readsServed++;
      this.reads.delete(ctx);
    }
  }

  /** Like an etcd member applying its own removal, a node removed from the config shuts down. */
  private retireRemoved(before: ConfState, after: ConfState): void {
    const members = (cs: ConfState) => new Set([...cs.voters, ...cs.votersOutgoing, ...cs.learners]);
    const now = members(after);
    for (const id of members(before)) {
      if (now.has(id) || this.retired.has(id)) continue;
      this.retired.add(id);
      this.trace(`retire ${id}`);
      this.nodes.get(id)!.crash();
      this.restartAtTick.delete(id);
    }
  }

  private reportSnapshot(from: NodeId, to: NodeId, ok: boolean): void {
    const n = this.nodes.get(from);
    if (n?.up) n.raw!.reportSnapshot(to, ok);
  }

  // ---- once per tick: time, workload, faults ---------------------------------------------

  private onTick(faulty: boolean): void {
    this.tickCount++;
    for (const [id, at] of [...this.restartAtTick]) {
      if (at <= this.tickCount && !this.nodes.get(id)!.up) this.restart(id);
    }
    for (const n of this.upNodes()) n.raw!.tick();
    if (this.healed) {
      this.proposeHealMarker();
      return;
    }
    this.workload();
    if (faulty) this.injectFaults();
  }

  private workload(): void {
    const sc = this.sc;
    const up = this.upNodes();
    if (up.length === 0) return;
    if (this.rng.chance(sc.proposalRate)) {
      // Clients mostly find the leader; the rest exercise forwarding and dropping.
      const leader = this.leader();
      const n = leader !== undefined && this.rng.chance(0.5) ? leader : this.rng.pick(up);
      const count = this.rng.between(1, 3);
      for (let i = 0; i < count; i++) this.propose(n, `v${this.proposalSeq++}`);
    }
    if (this.rng.chance(sc.readRate)) {
      const n = this.rng.pick(up);
      const ctx = `r${this.readSeq++}`;
      try {
        n.raw!.readIndex(bytes(ctx));
        this.reads.set(ctx, { node: n.id, committedAtStart: this.checker.maxCommitted });
        this.trace(`read ${ctx} at ${n.id} (committed ${this.checker.maxCommitted})`);
      } catch (err) {
        if (!(err instanceof ProposalDroppedError)) throw err;
      }
    }
    if (this.rng.chance(sc.confChangeRate)) this.changeMembership();
    if (this.rng.chance(sc.transferRate)) this.transferLeadership();
  }

  private propose(n: SimNode, value: string): void {
    this.stats.proposals++;
    try {
      n.raw!.propose(bytes(value));
      this.trace(`propose ${value} at ${n.id}`);
    } catch (err) {
      if (!(err instanceof ProposalDroppedError)) throw err;
      this.stats.droppedProposals++;
      this.trace(`propose ${value} at ${n.id} dropped: ${err.reason}`);
    }
  }

  private proposeHealMarker(): void {
    if (this.livenessShown || this.tickCount % 5 !== 0) return;
    const leader = this.leader();
    if (leader !== undefined) this.propose(leader, `${HEAL_MARKER}${this.tickCount}`);
  }

  private changeMembership(): void {
    const leader = this.leader();
    if (leader === undefined) return;
    const st = leader.raw!.status();
    const cfg = st.config;
    if (cfg.votersOutgoing.length > 0) return;
    const caughtUp = (id: NodeId) => (st.progress.get(id)?.match ?? 0) >= st.commit;
    const options: ConfChangeSingle[][] = [];
    const unused = this.sc.spares.filter(
      (id) => !this.nodes.get(id)!.up && !this.retired.has(id) && !this.restartAtTick.has(id),
    );
    if (unused.length > 0) options.push([{ type: ConfChangeType.AddLearnerNode, nodeId: unused[0] }]);
    const readyLearners = cfg.learners.filter(caughtUp);
    // Learners are promoted only once they have caught up with the leader's commit index.
    if (readyLearners.length > 0) options.push([{ type: ConfChangeType.AddNode, nodeId: readyLearners[0] }]);
    if (cfg.voters.length > MIN_VOTERS) {
      options.push([{ type: ConfChangeType.RemoveNode, nodeId: this.rng.pick(cfg.voters) }]);
    }
    if (readyLearners.length > 0 && cfg.voters.length >= MIN_VOTERS) {
      // Replace a voter by a caught-up learner in one joint change.
      options.push([
        { type: ConfChangeType.AddNode, nodeId: readyLearners[0] },
        { type: ConfChangeType.RemoveNode, nodeId: this.rng.pick(cfg.voters) },
      ]);
    }
    if (options.length === 0) return;
    const changes = this.rng.pick(options);
    const what = changes.map((c) => `${ConfChangeType[c.type]} ${c.nodeId}`).join(', ');
    try {
      leader.raw!.proposeConfChange({ changes });
      this.stats.confChanges++;
      this.trace(`conf change proposed at ${leader.id}: ${what}`);
      for (const c of changes) {
        const n = this.nodes.get(c.nodeId)!;
        if (c.type === ConfChangeType.AddLearnerNode && !n.up) n.start();
      }
    } catch (err) {
      if (!(err instanceof ProposalDroppedError)) throw err;
      this.trace(`conf change at ${leader.id} refused: ${err.reason}`);
    }
  }

  private transferLeadership(): void {
    const leader = this.leader();
    if (leader === undefined) return;
    const voters = leader.raw!.status().config.voters.filter((id) => id !== leader.id);
    if (voters.length === 0) return;
    const to = this.rng.pick(voters);
    this.stats.transfers++;
    this.trace(`transfer leadership ${leader.id} -> ${to}`);
    leader.raw!.transferLeader(to);
  }

  private injectFaults(): void {
    const sc = this.sc;
    const ids = [...this.nodes.keys()].filter((id) => !this.retired.has(id));
    if (this.rng.chance(sc.partitionRate)) this.partition(ids);
    if (this.rng.chance(sc.healRate) && this.net.blockedLinks().length > 0) {
      this.trace('partition healed');
      this.net.healAll();
    }
    if (this.rng.chance(sc.crashRate)) {
      const up = this.upNodes();
      const down = ids.filter((id) => !this.nodes.get(id)!.up && this.restartAtTick.has(id)).length;
      // Keep a majority of members up most of the time, so that the cluster keeps moving.
      if (up.length > 0 && down + 1 <= Math.floor(ids.length / 2)) this.crash(this.rng.pick(up));
    }
    if (this.rng.chance(sc.leaderFaultRate)) this.faultLeader(ids);
    const due = this.leaderStrikes.filter((t) => t <= this.tickCount);
    if (due.length > 0) {
      this.leaderStrikes.splice(
        0,
        this.leaderStrikes.length,
        ...this.leaderStrikes.filter((t) => t > this.tickCount),
      );
      this.faultLeader(ids);
    }
  }

  /** Leader failures are where Raft's subtle cases live (uncommitted tails, figure 8). */
  private faultLeader(ids: NodeId[]): void {
    const leader = this.leader();
    if (leader === undefined) return;
    if (this.rng.chance(this.sc.leaderCrashShare)) {
      const down = ids.filter((id) => !this.nodes.get(id)!.up && this.restartAtTick.has(id)).length;
      if (down + 1 <= Math.floor(ids.length / 2)) this.crash(leader);
      return;
    }
    this.isolate(leader.id, 'leader');
  }

  private isolate(a: NodeId, why: string): void {
    for (const b of this.nodes.keys()) {
      if (b === a) continue;
      this.net.block(a, b);
      this.net.block(b, a);
    }
    this.trace(`isolate ${why} ${a}`);
  }

  private partition(ids: NodeId[]): void {
    const kind = this.rng.intn(3);
    if (kind === 0) {
      const side = new Set(ids.filter(() => this.rng.chance(0.5)));
      for (const a of ids) for (const b of ids) if (side.has(a) !== side.has(b)) this.net.block(a, b);
      this.trace(`partition {${[...side].join(',')}} | rest`);
    } else if (kind === 1) {
      this.isolate(this.rng.pick(ids), 'node');
    } else {
      const a = this.rng.pick(ids);
      const b = this.rng.pick(ids);
      if (a === b) return;
      this.net.block(a, b);
      this.trace(`one-way cut ${a} -> ${b}`);
    }
  }

  private crash(n: SimNode): void {
    const pending = n.pending;
    if (pending !== undefined && this.rng.chance(this.sc.tornWriteRate)) {
      // The write in progress is torn: a prefix of its entries reached the disk.
      const kept = this.rng.intn(pending.rd.entries.length + 1);
      n.persist(pending.rd, this.checker, kept);
      this.trace(`crash ${n.id} tearing its write after ${kept} of ${pending.rd.entries.length} entries`);
    } else {
      this.trace(`crash ${n.id}${pending ? ' losing its unpersisted write' : ''}`);
    }
    n.crash();
    this.stats.crashes++;
    this.restartAtTick.set(n.id, this.tickCount + this.rng.between(1, this.sc.restartMaxTicks));
  }

  private restart(id: NodeId): void {
    this.restartAtTick.delete(id);
    this.nodes.get(id)!.start();
    this.trace(`restart ${id}`);
  }
}

export function simulateSeed(opts: SimOptions): SimResult {
  return new Simulation(opts).run();
}

export interface SimRunSummary {
  seeds: number;
  failures: SimResult[];
  committed: number;
}

/** Runs seeds [start, start + count); stops early after `stopAfterFailures` failures if given. */
export function runSeeds(args: {
  start: number;
  count: number;
  mutant?: MutantName;
  trace?: (line: string) => void;
  stopAfterFailures?: number;
}): SimRunSummary {
  const failures: SimResult[] = [];
  let committed = 0;
  let seeds = 0;
  for (let seed = args.start; seed < args.start + args.count; seed++) {
    const r = simulateSeed({ seed, mutant: args.mutant, trace: args.trace });
    seeds++;
    committed += r.stats.committed;
    if (r.violations.length > 0) {
      failures.push(r);
      if (args.stopAfterFailures !== undefined && failures.length >= args.stopAfterFailures) break;
    }
  }
  return { seeds, failures, committed };
}
