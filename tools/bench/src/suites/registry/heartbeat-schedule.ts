import { nowMs } from '../../stats';

/** What one keep-alive said: renewed, or the instance (lease) is gone. */
export type BeatAnswer = 'renewed' | 'gone';

interface Due {
  at: number;
  instance: number;
}

/** A binary min-heap of due times: 100,000 instances, each due every period. */
class DueHeap {
  private readonly items: Due[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Due | undefined {
    return this.items[0];
  }

  push(item: Due): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent].at <= a[i].at) break;
      [a[parent], a[i]] = [a[i], a[parent]];
      i = parent;
    }
  }

  pop(): Due | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l].at < a[m].at) m = l;
        if (r < a.length && a[r].at < a[m].at) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}

/** How often the schedule looks for due heartbeats (and how late one may start because of it). */
const TICK_MS = 2;

/** Counters a measurement window is taken from (see HeartbeatSchedule.mark). */
export interface BeatCounters {
  readonly renewed: number;
  readonly gone: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  /** Latency of each renewal, from the moment it was due (not sent) to its answer, in ms. */
  readonly latencies: number[];
}

/**
 * Keeps instances alive the way SDKs do: each one gets a heartbeat every `periodMs` (TTL / 3)
 * from its registration on, whatever the server's pace (an open loop per instance), with at
 * most `concurrency` heartbeats in flight. A heartbeat that cannot start on time because the
 * server is slow waits, and its latency counts from when it was due, so lateness shows up in
 * the latency and in the longest gap between two renewals of one instance, the figure that
 * decides whether an instance outlives its TTL.
 */
export class HeartbeatSchedule {
  private readonly heap = new DueHeap();
  /** When each instance was last renewed (or registered), ms; NaN once it is gone. */
  private readonly lastRenewed: Float64Array;
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private idle: (() => void) | undefined;
  private counters = { renewed: 0, gone: 0, errors: 0, firstError: undefined as string | undefined };
  private latencies: number[] = [];
  private longestGap = 0;

  constructor(
    instances: number,
    private readonly periodMs: number,
    private readonly concurrency: number,
    private readonly beat: (instance: number) => Promise<BeatAnswer>,
  ) {
    this.lastRenewed = new Float64Array(instances).fill(NaN);
  }

  start(): void {
    this.timer = setInterval(() => this.pump(), TICK_MS);
  }

  /**
   * `instance` was just registered: its first heartbeat is due at a random point of the next
   * period (SDKs spread theirs so), so renewals are spread evenly over any period however
   * fast the instances were registered, and a window of any length sees N / period per second.
   */
  registered(instance: number): void {
    const now = nowMs();
    this.lastRenewed[instance] = now;
    this.heap.push({ at: now + Math.random() * this.periodMs, instance });
  }

  /** The counters since the last mark (or the start), then starts counting afresh. */
  mark(): BeatCounters {
    const taken = { ...this.counters, latencies: this.latencies };
    this.counters = { renewed: 0, gone: 0, errors: 0, firstError: undefined };
    this.latencies = [];
    return taken;
  }

  /**
   * The longest time any instance went without a renewal (registration counts as one), ms:
   * between two renewals, or from its last one until now.
   */
  longestGapMs(): number {
    const now = nowMs();
    let longest = this.longestGap;
    for (const at of this.lastRenewed) if (now - at > longest) longest = now - at;
    return longest;
  }

  /** How late the most overdue heartbeat not yet sent is, in ms (0: none is late). */
  overdueMs(): number {
    const next = this.heap.peek();
    return next ? Math.max(0, nowMs() - next.at) : 0;
  }

  /** Stops sending heartbeats and waits for those in flight. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
  }

  private pump(): void {
    const now = nowMs();
    while (this.inFlight < this.concurrency && (this.heap.peek()?.at ?? Infinity) <= now) {
      void this.send(this.heap.pop() as Due);
    }
  }

  private async send(due: Due): Promise<void> {
    this.inFlight++;
    try {
      const answer = await this.beat(due.instance);
      const done = nowMs();
      if (answer === 'gone') {
        this.counters.gone++;
        this.lastRenewed[due.instance] = NaN;
        return;
      }
      this.counters.renewed++;
      this.latencies.push(done - due.at);
      this.longestGap = Math.max(this.longestGap, done - this.lastRenewed[due.instance]);
      this.lastRenewed[due.instance] = done;
      if (this.timer) this.heap.push({ at: due.at + this.periodMs, instance: due.instance });
    } catch (error) {
      this.counters.errors++;
      this.counters.firstError ??= String(error);
      // Tried again next period, as an SDK would.
      if (this.timer) this.heap.push({ at: due.at + this.periodMs, instance: due.instance });
    } finally {
      this.inFlight--;
      if (this.inFlight === 0 && this.idle) this.idle();
      else if (this.timer) this.pump();
    }
  }
}

/** How the catching up after the load ended (see settleBacklog). */
export interface Settled {
  /** How long it waited, ms. */
  readonly waitedMs: number;
  /** How late the most overdue heartbeat still was when it stopped waiting, ms (0: none). */
  readonly behindMs: number;
}

/**
 * Waits until no heartbeat of `schedule` is more than `toleranceMs` overdue, or `deadlineMs`
 * has passed, polling every `pollMs`. Heartbeats that fell behind while registrations took
 * the server's time are sent first, so that a measurement window after this sees the steady
 * state; when the deadline comes first, `behindMs` says by how much it did not.
 */
export async function settleBacklog(
  schedule: Pick<HeartbeatSchedule, 'overdueMs'>,
  toleranceMs: number,
  deadlineMs: number,
  pollMs: number,
): Promise<Settled> {
  const start = nowMs();
  while (schedule.overdueMs() > toleranceMs && nowMs() - start < deadlineMs)
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  const behind = schedule.overdueMs();
  return { waitedMs: nowMs() - start, behindMs: behind > toleranceMs ? behind : 0 };
}
