import {
  EntryType,
  MemoryStorage,
  MessageType,
  ProposalDroppedError,
  RawNode,
  SeededRandom,
  StateRole,
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type ReadState,
  type Ready,
  type Snapshot,
} from '@skyroad/raft';
import type { Logger } from '../log/logger';
import type { StoreMetrics } from '../metrics/metrics';
import type { DurableLog } from './durable-log';
import { mergedSnapshotMessage, withoutData } from './snapshot-record';

/**
 * Entries kept behind a snapshot so slow followers catch up without one (etcd: 5000). A
 * small --snapshot-count lowers it too, so the log stays bounded by about that many entries.
 */
export const SNAPSHOT_CATCH_UP_ENTRIES = 5000;

export interface RaftNodeOptions {
  id: number;
  /** Voters (and learners) of a fresh log; empty on restart. */
  bootstrapVoters: number[];
  bootstrapLearners: number[];
  heartbeatIntervalMs: number;
  electionTimeoutMs: number;
  snapshotCount: number;
  log: DurableLog;
  logger: Logger;
  metrics: StoreMetrics;
}

/** What the node loop hands to the server, in log order. */
export interface ApplyTarget {
  /** Committed entries in log order (none already applied); resolves once they are applied. */
  applyEntries(entries: Entry[]): Promise<void>;
  /** False while entries cannot be applied without waiting (the backend file is being replaced). */
  readonly canApplyNow: boolean;
  /** applyEntries, done before it returns; only while canApplyNow. */
  applyEntriesNow(entries: Entry[]): void;
  /**
   * Replaces the whole state with a snapshot the leader sent; resolves once the new state is
   * durable (the snapshot record saved after it lets the log go of what it covers).
   */
  restoreSnapshot(snapshot: Snapshot): Promise<void>;
  /**
   * The whole applied state, for a snapshot sent to a follower. It holds at least everything
   * applied when it was called (entries applied meanwhile may be in it too: the follower's
   * applier skips entries at or below the consistent index it carries).
   */
  snapshotData(): Promise<Uint8Array>;
  send(messages: Message[]): void;
  leaderChanged(lead: number, isLeader: boolean): void;
  readStates(states: ReadState[]): void;
  /** The loop hit an error it cannot continue after (disk failure, applier failure). */
  fatal(error: Error): void;
}

/**
 * Drives the Raft core: ticks it, feeds it messages and proposals, and works through each
 * Ready in etcd's order (leader messages, persist + fsync, follower messages, apply, advance).
 * Everything arriving within one event-loop turn lands in one Ready: one fsync per batch,
 * which is the group commit.
 */
export class RaftNode {
  private readonly raw: RawNode;
  readonly storage: MemoryStorage;
  private tickTimer: NodeJS.Timeout | undefined;
  private scheduled = false;
  private draining = false;
  private stopped = false;
  private lead = 0;
  private currentTerm = 0;
  private role: StateRole = StateRole.Follower;
  private applied = 0;
  private snapshotIndex = 0;
  private confState: ConfState;
  private bootstrapSnapshot: Snapshot | undefined;

  constructor(
    private readonly options: RaftNodeOptions,
    private readonly target: ApplyTarget,
  ) {
    const { snapshot: saved, hardState, entries, fresh } = options.log.load();
    if (fresh) {
      this.storage = MemoryStorage.bootstrap(options.bootstrapVoters, options.bootstrapLearners);
      // The initial configuration lives in the index-0 snapshot; it is saved in start().
      this.bootstrapSnapshot = this.storage.snapshot();
    } else if (!saved || saved.metadata.index === 0) {
      const conf = saved?.metadata.confState;
      this.storage = MemoryStorage.bootstrap(conf?.voters ?? [], conf?.learners ?? []);
    } else {
      this.storage = new MemoryStorage();
      // A data dir written before snapshot records lost their data may still carry the DB:
      // the backend on disk is the state, so only the metadata is kept.
      this.storage.applySnapshot(withoutData(saved));
      this.snapshotIndex = saved.metadata.index;
    }
    if (!fresh) {
      this.storage.append(entries.filter((e) => e.index > this.snapshotIndex));
      if (hardState) {
        this.storage.setHardState(hardState);
        this.currentTerm = hardState.term;
      }
    }
    this.confState = this.storage.initialState().confState;
    // Entries after the snapshot are applied again; the state machine skips what it already has.
    this.applied = this.snapshotIndex;
    this.raw = new RawNode({
      id: options.id,
      electionTick: Math.max(2, Math.round(options.electionTimeoutMs / options.heartbeatIntervalMs)),
      heartbeatTick: 1,
      storage: this.storage,
      applied: this.applied,
      checkQuorum: true,
      preVote: true,
      random: new SeededRandom(options.id ^ Date.now()),
    });
  }

  async start(): Promise<void> {
    if (this.bootstrapSnapshot) await this.options.log.saveSnapshot(this.bootstrapSnapshot);
    this.tickTimer = setInterval(() => {
      this.raw.tick();
      this.schedule();
    }, this.options.heartbeatIntervalMs);
    // A single-member cluster need not wait for an election timeout.
    const voters = this.confState.voters;
    if (voters.length === 1 && voters[0] === this.options.id) {
      this.raw.campaign();
    }
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.tickTimer);
  }

  get leader(): number {
    return this.lead;
  }

  get term(): number {
    return this.currentTerm;
  }

  get commitIndex(): number {
    return this.storage.initialState().hardState.commit;
  }

  get isLeader(): boolean {
    return this.role === StateRole.Leader;
  }

  get appliedIndex(): number {
    return this.applied;
  }

  get members(): ConfState {
    return this.confState;
  }

  status() {
    return this.raw.status();
  }

  step(messages: Message[]): void {
    if (this.stopped) return;
    for (const m of messages) {
      try {
        this.raw.step(m);
      } catch (error) {
        this.options.logger.debug({ err: error, type: m.type, from: m.from }, 'dropped peer message');
      }
    }
    this.schedule();
  }

  /** Throws ProposalDroppedError when there is no leader to take it. */
  propose(data: Uint8Array): void {
    this.raw.propose(data);
    this.schedule();
  }

  proposeConfChange(cc: ConfChange): void {
    this.raw.proposeConfChange(cc);
    this.schedule();
  }

  readIndex(context: Uint8Array): void {
    this.raw.readIndex(context);
    this.schedule();
  }

  transferLeader(to: number): void {
    this.raw.transferLeader(to);
    this.schedule();
  }

  applyConfChange(cc: ConfChange): ConfState {
    this.confState = this.raw.applyConfChange(cc);
    return this.confState;
  }

  reportUnreachable(id: number): void {
    this.raw.reportUnreachable(id);
  }

  reportSnapshot(id: number, ok: boolean): void {
    this.raw.reportSnapshot(id, ok);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  /**
   * Works through Readies one at a time. A Ready that waits for nothing (no entries to write,
   * nothing to fsync: a commit index to apply, heartbeats, read states) is handled before this
   * returns; the first one that must wait for the disk, and a snapshot, continue in drainAsync.
   * Meanwhile no other Ready is taken (Raft keeps ticking and queues its work).
   */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      while (!this.stopped && this.raw.hasReady()) {
        const rd = this.raw.ready();
        if (!this.handleWithoutWaiting(rd)) {
          void this.drainAsync(rd);
          return;
        }
        this.raw.advance(rd);
        if (this.snapshotDue()) {
          void this.drainAsync(undefined);
          return;
        }
      }
    } catch (error) {
      this.loopFailed(error);
    }
    this.draining = false;
  }

  /** Finishes `rd` (or a due snapshot) asynchronously, then goes back to drain(). */
  private async drainAsync(rd: Ready | undefined): Promise<void> {
    try {
      if (rd) {
        await this.handle(rd);
        this.raw.advance(rd);
      }
      await this.maybeSnapshot();
    } catch (error) {
      this.loopFailed(error); // stops the node: the drain() below then takes nothing
    }
    this.draining = false;
    this.drain();
  }

  private loopFailed(error: unknown): void {
    this.options.logger.fatal({ err: error }, 'raft loop failed; stopping');
    this.stop();
    this.target.fatal(error as Error);
  }

  /**
   * handle() for a Ready with nothing to write and nothing to fsync, in the same order, done
   * before it returns (no promise per Ready: most of a follower's Readies are these). False,
   * having done nothing, for any other Ready.
   */
  private handleWithoutWaiting(rd: Ready): boolean {
    if (rd.snapshot || rd.entries.length > 0 || rd.mustSync || !this.target.canApplyNow) return false;
    this.noteSoftState(rd);
    this.sendMessages(rd.messages);
    // Every committed entry is on disk already (this Ready writes none); membership changes
    // still wait for the hard state, as in handle().
    this.applyFreshNow(durableCommittedPrefix(rd));
    if (rd.hardState) {
      this.options.log.holdHardState(rd.hardState);
      this.noteHardState(rd.hardState);
    }
    this.sendMessages(rd.messagesAfterPersist);
    this.applyFreshNow(rd.committedEntries);
    this.options.metrics.proposalsApplied.set(this.applied);
    if (rd.readStates.length > 0) this.target.readStates(rd.readStates);
    return true;
  }

  private noteSoftState(rd: Ready): void {
    if (rd.softState) {
      const changed = rd.softState.lead !== this.lead;
      this.lead = rd.softState.lead;
      this.role = rd.softState.role;
      if (changed) {
        this.options.metrics.leaderChanges.inc();
        this.options.logger.info({ leader: this.lead.toString(16), role: this.role }, 'leader changed');
      }
      this.options.metrics.hasLeader.set(this.lead !== 0 ? 1 : 0);
      this.options.metrics.isLeader.set(this.isLeader ? 1 : 0);
      this.target.leaderChanged(this.lead, this.isLeader);
    }
  }

  private noteHardState(hardState: HardState): void {
    this.currentTerm = hardState.term;
    this.storage.setHardState(hardState);
    this.options.metrics.proposalsCommitted.set(hardState.commit);
  }

  private async handle(rd: Ready): Promise<void> {
    this.noteSoftState(rd);
    // `messages` (a leader's appends and heartbeats, forwarded requests) do not depend on this
    // node's disk, so they go out while it writes. They leave first, as etcd sends them: a
    // commit waits for a follower's fsync and round trip, which is longer than the leader's own
    // fsync, so that is the path to start early.
    if (rd.snapshot) {
      this.sendMessages(rd.messages);
      // The backend first (restored and synced), then the record saying replay may start after
      // the snapshot: a crash between the two replays entries the backend already has (skipped).
      await this.target.restoreSnapshot(rd.snapshot);
      await this.options.log.saveSnapshot(withoutData(rd.snapshot));
      await this.persist(rd);
    } else {
      this.sendMessages(rd.messages);
      const persisted = this.persist(rd);
      // Committed entries this node had on disk before this Ready are durable on a majority:
      // apply them (and answer their clients) while the new entries' fsync runs, as etcd does,
      // instead of making every commit wait for the next batch's fsync.
      persisted.catch(() => undefined);
      await this.applyFresh(durableCommittedPrefix(rd));
      await persisted;
    }
    if (rd.snapshot) {
      this.storage.applySnapshot(withoutData(rd.snapshot));
      this.applied = rd.snapshot.metadata.index;
      this.snapshotIndex = rd.snapshot.metadata.index;
      this.confState = rd.snapshot.metadata.confState;
    }
    this.storage.append(rd.entries);
    if (rd.hardState) this.noteHardState(rd.hardState);
    // Votes and acknowledgements promise that the writes above are on disk.
    this.sendMessages(rd.messagesAfterPersist);
    await this.applyFresh(rd.committedEntries);
    this.options.metrics.proposalsApplied.set(this.applied);
    if (rd.readStates.length > 0) this.target.readStates(rd.readStates);
  }

  /** Applies the entries not applied yet (after a restart some are, see the constructor). */
  private async applyFresh(entries: Entry[]): Promise<void> {
    const fresh = this.notApplied(entries);
    if (fresh.length === 0) return;
    await this.target.applyEntries(fresh);
    this.applied = fresh[fresh.length - 1].index;
  }

  /** applyFresh, done before it returns (the caller checked canApplyNow). */
  private applyFreshNow(entries: Entry[]): void {
    const fresh = this.notApplied(entries);
    if (fresh.length === 0) return;
    this.target.applyEntriesNow(fresh);
    this.applied = fresh[fresh.length - 1].index;
  }

  private notApplied(entries: Entry[]): Entry[] {
    if (entries.length === 0 || entries[0].index > this.applied) return entries;
    return entries.filter((e) => e.index > this.applied);
  }

  /** Writes the Ready's entries and hard state (fsynced when it must be); starts at once. */
  private persist(rd: Ready): Promise<void> {
    if (rd.entries.length === 0 && !rd.hardState) return Promise.resolve();
    const started = process.hrtime.bigint();
    const saved = this.options.log.save(rd.hardState, rd.entries, rd.mustSync);
    if (!rd.mustSync) return saved;
    return saved.then(() =>
      this.options.metrics.walFsync.observe(Number(process.hrtime.bigint() - started) / 1e9),
    );
  }

  /**
   * Sends a Ready's messages; a MsgSnap (carrying only the log snapshot's metadata) leaves
   * later, as a merged snapshot of the whole state at the applied index, built off the loop.
   */
  private sendMessages(messages: Message[]): void {
    const direct = messages.filter((m) => m.type !== MessageType.Snap);
    if (direct.length > 0) this.target.send(direct);
    for (const m of messages) if (m.type === MessageType.Snap) void this.sendMergedSnapshot(m);
  }

  private async sendMergedSnapshot(m: Message): Promise<void> {
    // Captured before the state is read: the state holds at least this index.
    const index = this.applied;
    const metadata = { index, term: this.storage.term(index), confState: this.confState };
    try {
      const data = await this.target.snapshotData();
      if (this.stopped) return;
      this.target.send([mergedSnapshotMessage(m, metadata, data)]);
      this.options.logger.info({ to: m.to.toString(16), index }, 'sending merged snapshot');
    } catch (error) {
      this.options.logger.warn({ err: error, to: m.to.toString(16) }, 'could not build a snapshot to send');
      this.reportSnapshot(m.to, false);
    }
  }

  private snapshotDue(): boolean {
    return this.applied - this.snapshotIndex >= this.options.snapshotCount;
  }

  /**
   * The log's snapshot is metadata only (etcd's design): the backend is the state, synced up
   * to the index before the record is saved (saveSnapshot), so a restart starts from the
   * backend and replays the log after the index. Nothing here copies or reads the database.
   */
  private async maybeSnapshot(): Promise<void> {
    if (!this.snapshotDue()) return;
    const index = this.applied;
    const snapshot = this.storage.createSnapshot(index, this.confState, new Uint8Array(0));
    await this.options.log.saveSnapshot(snapshot);
    this.snapshotIndex = index;
    const compactTo = index - Math.min(SNAPSHOT_CATCH_UP_ENTRIES, this.options.snapshotCount);
    if (compactTo > this.storage.firstIndex()) {
      this.storage.compact(compactTo);
      await this.options.log.releaseTo(compactTo);
    }
    this.options.logger.info({ index }, 'saved snapshot');
  }
}

/**
 * The committed entries of a Ready that may be applied before its own entries are persisted:
 * those below its first new entry (already on this node's disk, and committed means on a
 * majority's), up to the first membership change, which keeps its place after persisting.
 */
export function durableCommittedPrefix(rd: Ready): Entry[] {
  const firstNew = rd.entries.length > 0 ? rd.entries[0].index : Infinity;
  let end = 0;
  while (
    end < rd.committedEntries.length &&
    rd.committedEntries[end].index < firstNew &&
    rd.committedEntries[end].type !== EntryType.ConfChange
  )
    end++;
  return rd.committedEntries.slice(0, end);
}

export { ProposalDroppedError };
