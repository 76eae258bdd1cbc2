// BASELINE COPY (tools/bench): libs/governance as of 2026-11-21 06:20 UTC, before the pick
// optimisations of issue 10. Kept only so the sdk suite can report before/after ratios.
// Do not use it anywhere else, and do not optimise it.
import type { Endpoint, RandomSource } from '@skyroad/governance';
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
