// BASELINE COPY (tools/bench): libs/governance as of 2026-11-21 06:20 UTC, before the pick
// optimisations of issue 10. Kept only so the sdk suite can report before/after ratios.
// Do not use it anywhere else, and do not optimise it.
import type { Endpoint, RandomSource } from '@skyroad/governance';
import type { BalancerInput, LoadBalancer } from './load-balancer';

/** The candidate with the fewest requests in flight; ties are broken at random. */
export class LeastRequestBalancer implements LoadBalancer {
  readonly strategy = 'least_request' as const;
  constructor(private readonly random: RandomSource = Math.random) {}

  pick<T extends Endpoint>(candidates: readonly T[], input: BalancerInput = {}): T | undefined {
    const inFlight = input.inFlight ?? (() => 0);
    let fewest = Infinity;
    let tied: T[] = [];
    for (const c of candidates) {
      const n = inFlight(c.id);
      if (n < fewest) {
        fewest = n;
        tied = [c];
      } else if (n === fewest) {
        tied.push(c);
      }
    }
    if (tied.length === 0) return undefined;
    return tied[Math.floor(this.random() * tied.length)];
  }
}
