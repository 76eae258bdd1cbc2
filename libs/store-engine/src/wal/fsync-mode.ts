/*
 * Where the WAL's fdatasync runs: on the event loop (inline) or on libuv's thread pool.
 *
 * Through the pool, every sync costs two thread hand-offs (the loop to a worker, the worker's
 * completion back to the loop). On a fast disk they cost more than the sync itself once the
 * machine is busy: with three members on two cores, a follower's sync took 0.45 ms at p50
 * through the pool against 0.19 ms inline, on a disk that syncs in 0.07 ms when idle. A slow
 * disk is the other way round: an inline sync of several milliseconds would hold up every
 * client and peer of the member, where the pool lets them be served meanwhile. So the WAL
 * syncs inline while recent syncs have been fast and moves to the pool while they are slow,
 * with a gap between the two thresholds so that it does not flip back and forth.
 */

/** Above this smoothed inline sync time, syncs move to the pool. */
export const INLINE_FSYNC_SLOW_MS = 2;
/** Below this smoothed pooled sync time (hand-offs included), syncs come back inline. */
export const POOLED_FSYNC_FAST_MS = 1;
/** Weight of the newest sync in the smoothed time (about the last ten syncs count). */
const SMOOTHING = 0.1;

/** `auto` chooses as described above; `inline` and `pool` fix the choice (tests, diagnosis). */
export type FsyncPlacement = 'auto' | 'inline' | 'pool';

export class FsyncMode {
  private smoothedMs = 0;
  private inlineNow: boolean;

  constructor(private readonly placement: FsyncPlacement = 'auto') {
    this.inlineNow = placement !== 'pool';
  }

  /** Whether the next sync should run on the event loop. */
  get inline(): boolean {
    return this.inlineNow;
  }

  /** Records how long a sync took where it ran (inline or pooled, as `inline` said). */
  observe(ms: number): void {
    if (this.placement !== 'auto') return;
    this.smoothedMs += SMOOTHING * (ms - this.smoothedMs);
    if (this.inlineNow && this.smoothedMs > INLINE_FSYNC_SLOW_MS) this.inlineNow = false;
    else if (!this.inlineNow && this.smoothedMs < POOLED_FSYNC_FAST_MS) this.inlineNow = true;
  }
}
