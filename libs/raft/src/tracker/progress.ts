import { Inflights } from './inflights';

export enum ProgressState {
  /** Unsure where the follower's log ends: send one MsgApp per heartbeat until it answers. */
  Probe = 'StateProbe',
  /** The follower is known to match: stream MsgApp optimistically within the inflight window. */
  Replicate = 'StateReplicate',
  /** The follower needs a snapshot; send nothing else until it reports back. */
  Snapshot = 'StateSnapshot',
}

/** The leader's view of one follower (etcd's tracker/progress.go). */
export class Progress {
  /** Highest index known to be durable on the follower. */
  match = 0;
  /** Next index to send. */
  next: number;
  state: ProgressState = ProgressState.Probe;
  /** Index of the snapshot being sent while in Snapshot state. */
  pendingSnapshot = 0;
  /** Heard from within the last election timeout (CheckQuorum). */
  recentActive = false;
  /** In Probe state: a MsgApp was sent and not yet answered. */
  msgAppFlowPaused = false;
  readonly inflights: Inflights;

  constructor(
    next: number,
    maxInflightMsgs: number,
    public isLearner: boolean,
  ) {
    this.next = next;
    this.inflights = new Inflights(maxInflightMsgs);
  }

  clone(): Progress {
    const c = new Progress(this.next, this.inflights.capacity, this.isLearner);
    c.match = this.match;
    c.state = this.state;
    c.pendingSnapshot = this.pendingSnapshot;
    c.recentActive = this.recentActive;
    c.msgAppFlowPaused = this.msgAppFlowPaused;
    c.inflights.copyFrom(this.inflights);
    return c;
  }

  private resetState(state: ProgressState): void {
    this.msgAppFlowPaused = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === ProgressState.Snapshot) {
      // Resume after the snapshot if it was applied; otherwise after what the follower has.
      const pending = this.pendingSnapshot;
      this.resetState(ProgressState.Probe);
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState(ProgressState.Probe);
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState(ProgressState.Replicate);
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState(ProgressState.Snapshot);
    this.pendingSnapshot = snapshotIndex;
  }

  /** The follower acknowledged n; returns whether match moved. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.msgAppFlowPaused = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /** Records that entries up to lastIndex were sent and updates the flow control state. */
  sentEntries(lastIndex: number): void {
    switch (this.state) {
      case ProgressState.Replicate:
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex);
        break;
      case ProgressState.Probe:
        this.msgAppFlowPaused = true;
        break;
      default:
        throw new Error(`sending entries in unexpected state ${this.state}`);
    }
  }

  /**
   * The follower rejected a MsgApp at `rejected`, saying its log ends at `matchHint`. Returns
   * false when the rejection is stale (out of order) and must be ignored.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === ProgressState.Replicate) {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1, 1);
    this.msgAppFlowPaused = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case ProgressState.Probe:
        return this.msgAppFlowPaused;
      case ProgressState.Replicate:
        return this.inflights.full();
      case ProgressState.Snapshot:
        return true;
    }
  }
}
