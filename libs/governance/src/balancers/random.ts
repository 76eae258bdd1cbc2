import type { Endpoint, RandomSource } from '../model/endpoint';
import type { LoadBalancer } from './load-balancer';

/** A uniformly random candidate. */
export class RandomBalancer implements LoadBalancer {
  readonly strategy = 'random' as const;
  constructor(private readonly random: RandomSource = Math.random) {}

  pick<T extends Endpoint>(candidates: readonly T[]): T | undefined {
    if (candidates.length === 0) return undefined;
    return candidates[Math.floor(this.random() * candidates.length)];
  }
}
