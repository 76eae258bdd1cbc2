/*
 * One lease: a granted TTL, the remaining TTL last checkpointed through Raft, the keys attached
 * to it, and (on the primary only) when it expires. A lease never expires on a non-primary:
 * its expiry is +Infinity until a promote() sets it.
 */

export class Lease {
  /** When it expires, ms on the lessor's clock; Infinity when this member is not the primary. */
  expiryMs = Number.POSITIVE_INFINITY;
  /** Set once the primary has asked for this lease's revocation (ms), to retry later. */
  revokeRequestedAtMs: number | undefined;
  /** Renewed since the last checkpoint: the checkpointed remaining TTL is stale. */
  needsCheckpoint = false;
  readonly keys = new Set<string>();

  constructor(
    readonly id: bigint,
    /** Granted TTL in seconds (at least the lessor's minimum). */
    readonly ttlSeconds: number,
    /** Remaining TTL (seconds) as of the last checkpoint; 0 when none. */
    public remainingTtlSeconds = 0,
  ) {}

  /** Starts the clock: expires `extendMs` + the remaining (or full) TTL from `nowMs`. */
  refresh(nowMs: number, extendMs: number): void {
    const seconds = this.remainingTtlSeconds > 0 ? this.remainingTtlSeconds : this.ttlSeconds;
    this.expiryMs = nowMs + extendMs + seconds * 1000;
    this.revokeRequestedAtMs = undefined;
  }

  forever(): void {
    this.expiryMs = Number.POSITIVE_INFINITY;
    this.revokeRequestedAtMs = undefined;
  }

  remainingMs(nowMs: number): number {
    return this.expiryMs === Number.POSITIVE_INFINITY
      ? (this.remainingTtlSeconds > 0 ? this.remainingTtlSeconds : this.ttlSeconds) * 1000
      : Math.max(0, this.expiryMs - nowMs);
  }
}
