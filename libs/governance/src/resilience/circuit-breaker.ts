import type { Clock } from '../model/endpoint';
import type { CircuitBreakerPolicy } from '../schema/policy-schema';

export type CircuitState = 'closed' | 'open' | 'half-open';

/** Used for the fields a policy's circuitBreaker leaves out. */
export const CIRCUIT_BREAKER_DEFAULTS: Required<CircuitBreakerPolicy> = {
  errorRatePercent: 50,
  minRequests: 20,
  windowMs: 10_000,
  openMs: 30_000,
  halfOpenRequests: 5,
};

/** The sliding window is kept as this many buckets, each windowMs / WINDOW_BUCKETS wide. */
export const WINDOW_BUCKETS = 10;

/** Permission for one request; report its outcome once (later reports are ignored). */
export interface CircuitPermit {
  success(): void;
  failure(): void;
}

interface Bucket {
  start: number;
  total: number;
  failures: number;
}

/**
 * closed -> open when, over the last windowMs, at least minRequests finished and
 * errorRatePercent of them failed; open -> half-open once openMs has passed; half-open lets
 * exactly halfOpenRequests trial requests through: all succeed -> closed, one fails -> open.
 * Outcomes of requests admitted in an earlier state are ignored (a slow answer from before the
 * circuit opened says nothing about the trial).
 */
export class CircuitBreaker {
  readonly options: Required<CircuitBreakerPolicy>;
  private current: CircuitState = 'closed';
  private generation = 0;
  private openedAt = 0;
  private trialsAdmitted = 0;
  private trialsSucceeded = 0;
  private buckets: Bucket[] = [];
  private readonly bucketMs: number;

  constructor(
    options: CircuitBreakerPolicy = {},
    private readonly clock: Clock = Date.now,
    private readonly onTransition?: (from: CircuitState, to: CircuitState) => void,
  ) {
    this.options = { ...CIRCUIT_BREAKER_DEFAULTS, ...options };
    this.bucketMs = Math.max(1, this.options.windowMs / WINDOW_BUCKETS);
  }

  get state(): CircuitState {
    if (this.current === 'open' && this.clock() - this.openedAt >= this.options.openMs) {
      this.transition('half-open');
    }
    return this.current;
  }

  /** Whether a request would be admitted now, without taking a slot. */
  canAcquire(): boolean {
    const state = this.state;
    return (
      state === 'closed' || (state === 'half-open' && this.trialsAdmitted < this.options.halfOpenRequests)
    );
  }

  /** Admits one request, or returns null when the circuit is open (or half-open and full). */
  tryAcquire(): CircuitPermit | null {
    if (!this.canAcquire()) return null;
    const generation = this.generation;
    const halfOpen = this.current === 'half-open';
    if (halfOpen) this.trialsAdmitted += 1;
    let reported = false;
    const report = (ok: boolean): void => {
      if (reported) return;
      reported = true;
      if (generation !== this.generation) return;
      if (halfOpen) this.onTrialOutcome(ok);
      else this.onClosedOutcome(ok);
    };
    return { success: () => report(true), failure: () => report(false) };
  }

  /** Counts over the current sliding window (for metrics and tests). */
  windowCounts(): { total: number; failures: number } {
    this.rotate();
    let total = 0;
    let failures = 0;
    for (const b of this.buckets) {
      total += b.total;
      failures += b.failures;
    }
    return { total, failures };
  }

  private onClosedOutcome(ok: boolean): void {
    this.rotate();
    let bucket = this.buckets[this.buckets.length - 1];
    const start = Math.floor(this.clock() / this.bucketMs) * this.bucketMs;
    if (bucket === undefined || bucket.start !== start) {
      bucket = { start, total: 0, failures: 0 };
      this.buckets.push(bucket);
    }
    bucket.total += 1;
    if (!ok) bucket.failures += 1;
    const { total, failures } = this.windowCounts();
    if (total >= this.options.minRequests && failures * 100 >= this.options.errorRatePercent * total) {
      this.open();
    }
  }

  private onTrialOutcome(ok: boolean): void {
    if (!ok) {
      this.open();
      return;
    }
    this.trialsSucceeded += 1;
    if (this.trialsSucceeded >= this.options.halfOpenRequests) this.transition('closed');
  }

  private open(): void {
    this.openedAt = this.clock();
    this.transition('open');
  }

  private transition(to: CircuitState): void {
    const from = this.current;
    this.current = to;
    this.generation += 1;
    this.trialsAdmitted = 0;
    this.trialsSucceeded = 0;
    if (to !== 'open') this.buckets = [];
    if (from !== to) this.onTransition?.(from, to);
  }

  private rotate(): void {
    const oldest = this.clock() - this.options.windowMs;
    while (this.buckets.length > 0 && this.buckets[0].start + this.bucketMs <= oldest) this.buckets.shift();
  }
}
