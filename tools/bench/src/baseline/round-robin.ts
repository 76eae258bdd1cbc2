// BASELINE COPY (tools/bench): libs/governance as of 2026-11-21 06:20 UTC, before the pick
// optimisations of issue 10. Kept only so the sdk suite can report before/after ratios.
// Do not use it anywhere else, and do not optimise it.
import type { Endpoint } from '@skyroad/governance';
import type { LoadBalancer } from './load-balancer';

/** Each candidate in turn. */
export class RoundRobinBalancer implements LoadBalancer {
  readonly strategy = 'round_robin' as const;
  private next = 0;

  pick<T extends Endpoint>(candidates: readonly T[]): T | undefined {
    if (candidates.length === 0) return undefined;
    const chosen = candidates[this.next % candidates.length];
    this.next = (this.next + 1) % Number.MAX_SAFE_INTEGER;
    return chosen;
  }
}
