/** A source of randomness injected into the core; never Math.random, so runs are reproducible. */
export interface RandomSource {
  /** A uniform integer in [0, n). */
  intn(n: number): number;
}

/**
 * mulberry32: a tiny 32-bit PRNG, good enough for election jitter and fault schedules, and
 * identical on every platform for the same seed.
 */
export class SeededRandom implements RandomSource {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  intn(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** An integer in [lo, hi] inclusive. */
  between(lo: number, hi: number): number {
    return lo + this.intn(hi - lo + 1);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.intn(items.length)];
  }
}
