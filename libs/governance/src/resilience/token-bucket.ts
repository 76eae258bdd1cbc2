import type { Clock } from '../model/endpoint';
import type { RateLimitPolicy } from '../schema/policy-schema';

/**
 * A token bucket: refills at requestsPerSecond up to its capacity, one token per request.
 * The capacity is `burst` (how many requests may pass at once after a quiet spell), at least 1
 * so that a bucket with burst 0 still passes requests at the steady rate; it starts full.
 * Without `burst` the capacity is one second's worth of requests.
 */
export class TokenBucket {
  readonly capacity: number;
  readonly ratePerMs: number;
  private tokens: number;
  private updatedAt: number;

  constructor(
    policy: RateLimitPolicy,
    private readonly clock: Clock = Date.now,
  ) {
    this.capacity = Math.max(1, policy.burst ?? Math.ceil(policy.requestsPerSecond));
    this.ratePerMs = policy.requestsPerSecond / 1000;
    this.tokens = this.capacity;
    this.updatedAt = clock();
  }

  /** Takes one token if there is one. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until a token will be available (0 when one is now). */
  waitMs(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) / this.ratePerMs);
  }

  private refill(): void {
    const now = this.clock();
    const elapsed = now - this.updatedAt;
    if (elapsed > 0) {
      this.tokens = Math.min(this.capacity, this.tokens + elapsed * this.ratePerMs);
      this.updatedAt = now;
    }
  }
}
