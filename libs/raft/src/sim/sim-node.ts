import { ConfState, decodeConfChange, Entry, EntryType, NodeId, Snapshot } from '../raftpb';
import { RawNode } from '../rawnode';
import { Ready } from '../ready';
import { MemoryStorage } from '../storage';
import { SeededRandom } from '../random';
import { chainState } from './hash';
import { MutantName, newRaft } from './mutants';

/** Raft timing used by every simulated node. */
export const SIM_ELECTION_TICKS = 10;
export const SIM_HEARTBEAT_TICKS = 1;
/** Backpressure: a leader drops proposals beyond this many uncommitted entries. */
export const SIM_MAX_UNCOMMITTED_ENTRIES = 32;

/** The application state a simulated node keeps: a hash chain over everything applied. */
export interface AppState {
  appliedIndex: number;
  stateHash: number;
}

export function encodeAppState(s: AppState): Uint8Array {
  return new Uint8Array(Buffer.from(JSON.stringify(s), 'utf8'));
}

export function decodeAppState(data: Uint8Array): AppState {
  if (data.byteLength === 0) return { appliedIndex: 0, stateHash: 0 };
  return JSON.parse(Buffer.from(data).toString('utf8')) as AppState;
}

export interface NodeParams {
  preVote: boolean;
  checkQuorum: boolean;
  maxSizePerMsgBytes: number;
  maxInflightMsgs: number;
  /** Take an application snapshot and compact the log every this many applied entries. */
  snapshotEveryEntries: number;
  /** Entries kept in the log behind a snapshot, so that slow followers can still catch up. */
  compactionLagEntries: number;
}

/** Hooks through which a node reports to the invariant checker. */
export interface NodeObserver {
  onReady(node: SimNode, rd: Ready): void;
  onApplied(node: SimNode, e: Entry, stateHash: number): void;
  onSnapshotInstalled(node: SimNode, snap: Snapshot): void;
  onDurableHardStateWritten(node: SimNode, commit: number, previous: number): void;
}

/**
 * One cluster member: a disk (a MemoryStorage that holds only what a persist step completed),
 * a RawNode while it is up, and the application state machine, which is volatile and rebuilt
 * from the durable snapshot on restart.
 */
export class SimNode {
  readonly disk: MemoryStorage;
  raw: RawNode | undefined;
  app: AppState = { appliedIndex: 0, stateHash: 0 };
  confState: ConfState;
  incarnation = 0;
  /** A Ready taken but not yet persisted, with the step at which its write completes. */
  pending: { rd: Ready; doneAt: number } | undefined;

  constructor(
    readonly id: NodeId,
    initialVoters: NodeId[],
    private readonly params: NodeParams,
    private readonly mutant: MutantName | undefined,
    private readonly rngSeed: number,
  ) {
    this.disk = MemoryStorage.bootstrap(initialVoters);
    this.confState = this.disk.initialState().confState;
  }

  get up(): boolean {
    return this.raw !== undefined;
  }

  start(): void {
    this.incarnation++;
    const snap = this.disk.snapshot();
    this.app = decodeAppState(snap.data);
    this.confState = this.disk.initialState().confState;
    const raft = newRaft(
      {
        id: this.id,
        electionTick: SIM_ELECTION_TICKS,
        heartbeatTick: SIM_HEARTBEAT_TICKS,
        storage: this.disk,
        applied: snap.metadata.index,
        preVote: this.params.preVote,
        checkQuorum: this.params.checkQuorum,
        maxSizePerMsgBytes: this.params.maxSizePerMsgBytes,
        maxInflightMsgs: this.params.maxInflightMsgs,
        maxUncommittedEntries: SIM_MAX_UNCOMMITTED_ENTRIES,
        random: new SeededRandom(this.rngSeed * 31 + this.incarnation),
      },
      this.mutant,
    );
    this.raw = new RawNode(raft);
  }

  /** Everything not yet durable is lost, and so is the volatile application state. */
  crash(): void {
    this.raw = undefined;
    this.pending = undefined;
  }

  /**
   * Persists a Ready. With `tornAfterEntries` set, the write is torn: only the snapshot and
   * that many entries reach the disk, and the hard state does not.
   */
  persist(rd: Ready, observer: NodeObserver, tornAfterEntries?: number): void {
    if (rd.snapshot !== undefined) this.disk.applySnapshot(rd.snapshot);
    const entries = tornAfterEntries === undefined ? rd.entries : rd.entries.slice(0, tornAfterEntries);
    this.disk.append(entries);
    if (tornAfterEntries !== undefined || rd.hardState === undefined) return;
    const previous = this.disk.initialState().hardState.commit;
    this.disk.setHardState(rd.hardState);
    observer.onDurableHardStateWritten(this, rd.hardState.commit, previous);
  }

  /** Applies a persisted Ready: snapshot, then committed entries, in order. */
  apply(rd: Ready, observer: NodeObserver): void {
    const raw = this.raw!;
    if (rd.snapshot !== undefined) {
      this.app = decodeAppState(rd.snapshot.data);
      this.confState = rd.snapshot.metadata.confState;
      observer.onSnapshotInstalled(this, rd.snapshot);
    }
    for (const e of rd.committedEntries) {
      if (e.type === EntryType.ConfChange) this.confState = raw.applyConfChange(decodeConfChange(e.data));
      this.app = { appliedIndex: e.index, stateHash: chainState(this.app.stateHash, e) };
      observer.onApplied(this, e, this.app.stateHash);
    }
  }

  /** Takes an application snapshot and compacts the log when enough was applied since the last. */
  maybeCompact(): void {
    const snapIndex = this.disk.snapshot().metadata.index;
    if (this.app.appliedIndex - snapIndex < this.params.snapshotEveryEntries) return;
    if (this.app.appliedIndex > this.disk.lastIndex()) return;
    this.disk.createSnapshot(this.app.appliedIndex, this.confState, encodeAppState(this.app));
    const compactTo = this.app.appliedIndex - this.params.compactionLagEntries;
    if (compactTo > this.disk.firstIndex()) this.disk.compact(compactTo);
  }
}
