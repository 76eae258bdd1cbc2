import { LOGIN_FAILURE_WINDOW_MS, MAX_LOGIN_FAILURES } from '../access-options';

/** Beyond this many tracked keys, expired ones are swept before adding another. */
const MAX_TRACKED_KEYS = 100_000;

/**
 * Counts failed sign-ins per (username, client address) in a sliding window. Once a key has
 * MAX_LOGIN_FAILURES failures within LOGIN_FAILURE_WINDOW_MS, further attempts are refused
 * until the oldest failure leaves the window. In memory: each registry node counts its own.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly clock: () => number) {}

  /** Milliseconds until `key` may try again, or 0 when it may try now. */
  retryAfterMs(key: string): number {
    const recent = this.recent(key);
    if (recent.length < MAX_LOGIN_FAILURES) return 0;
    return Math.max(1, recent[recent.length - MAX_LOGIN_FAILURES] + LOGIN_FAILURE_WINDOW_MS - this.clock());
  }

  recordFailure(key: string): void {
    if (!this.failures.has(key) && this.failures.size >= MAX_TRACKED_KEYS) this.sweep();
    const recent = this.recent(key);
    recent.push(this.clock());
    this.failures.set(key, recent.slice(-MAX_LOGIN_FAILURES));
  }

  reset(key: string): void {
    this.failures.delete(key);
  }

  private recent(key: string): number[] {
    const since = this.clock() - LOGIN_FAILURE_WINDOW_MS;
    return (this.failures.get(key) ?? []).filter((at) => at > since);
  }

  private sweep(): void {
    for (const key of [...this.failures.keys()]) {
      if (this.recent(key).length === 0) this.failures.delete(key);
    }
  }
}
