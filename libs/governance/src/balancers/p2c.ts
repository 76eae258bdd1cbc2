import type { Endpoint, RandomSource } from '../model/endpoint';
import type { BalancerInput, LoadBalancer } from './load-balancer';

const idle = (): number => 0;

/**
 * Power of two choices: two distinct candidates at random, the one with fewer requests in
 * flight wins (the first on a tie). Nearly as good as least_request, without a full scan.
 */
export class P2CBalancer implements LoadBalancer {
  readonly strategy = 'p2c' as const;
  constructor(private readonly random: RandomSource = Math.random) {}

  pick<T extends Endpoint>(candidates: readonly T[], input: BalancerInput = {}): T | undefined {
    const n = candidates.length;
    if (n <= 1) return candidates[0];
    const inFlight = input.inFlight ?? idle;
    const i = Math.floor(this.random() * n);
    let j = Math.floor(this.random() * (n - 1));
    if (j >= i) j += 1;
    const a = candidates[i];
    const b = candidates[j];
    return inFlight(b.id) < inFlight(a.id) ? b : a;
  }
}
