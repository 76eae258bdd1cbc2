import type { Endpoint, RandomSource } from '../model/endpoint';
import type { BalancerInput, LoadBalancer } from './load-balancer';

const idle = (): number => 0;

/** The candidate with the fewest requests in flight; ties are broken at random. */
export class LeastRequestBalancer implements LoadBalancer {
  readonly strategy = 'least_request' as const;
  constructor(private readonly random: RandomSource = Math.random) {}

  pick<T extends Endpoint>(candidates: readonly T[], input: BalancerInput = {}): T | undefined {
    const inFlight = input.inFlight ?? idle;
    // Two passes without a list of the tied: the fewest and how many share it, then the k-th.
    let fewest = Infinity;
    let tied = 0;
    for (let i = 0; i < candidates.length; i++) {
      const n = inFlight(candidates[i].id);
      if (n < fewest) {
        fewest = n;
        tied = 1;
      } else if (n === fewest) {
        tied += 1;
      }
    }
    if (tied === 0) return undefined;
    let k = Math.floor(this.random() * tied);
    for (let i = 0; i < candidates.length; i++) {
      if (inFlight(candidates[i].id) === fewest && k-- === 0) return candidates[i];
    }
    return undefined;
  }
}
