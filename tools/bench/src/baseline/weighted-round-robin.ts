// BASELINE COPY (tools/bench): libs/governance as of 2026-11-21 06:20 UTC, before the pick
// optimisations of issue 10. Kept only so the sdk suite can report before/after ratios.
// Do not use it anywhere else, and do not optimise it.
import type { Endpoint } from '@skyroad/governance';
import type { LoadBalancer } from './load-balancer';

/**
 * Smooth weighted round robin, as nginx does it: every pick adds each candidate's weight to its
 * current weight, takes the largest, and subtracts the total from the chosen one. Over any
 * cycle of sum(weights) picks each candidate is chosen exactly weight times, interleaved
 * (5,1,1 gives a a b a c a a, not a a a a a b c). Weight 0 means no traffic, unless every
 * candidate has weight 0, in which case they share equally.
 */
export class WeightedRoundRobinBalancer implements LoadBalancer {
  readonly strategy = 'weighted_round_robin' as const;
  private readonly current = new Map<string, number>();

  pick<T extends Endpoint>(candidates: readonly T[]): T | undefined {
    if (candidates.length === 0) return undefined;
    const allZero = candidates.every((c) => effectiveWeight(c) === 0);
    const weightOf = (c: T): number => (allZero ? 1 : effectiveWeight(c));
    this.forgetDeparted(candidates);
    let total = 0;
    let best: T | undefined;
    let bestCurrent = -Infinity;
    for (const c of candidates) {
      const w = weightOf(c);
      if (w === 0) continue;
      const cur = (this.current.get(c.id) ?? 0) + w;
      this.current.set(c.id, cur);
      total += w;
      if (cur > bestCurrent) {
        best = c;
        bestCurrent = cur;
      }
    }
    if (best !== undefined) this.current.set(best.id, bestCurrent - total);
    return best;
  }

  private forgetDeparted(candidates: readonly Endpoint[]): void {
    if (this.current.size <= candidates.length) return;
    const ids = new Set(candidates.map((c) => c.id));
    for (const id of this.current.keys()) if (!ids.has(id)) this.current.delete(id);
  }
}

function effectiveWeight(c: Endpoint): number {
  return Number.isFinite(c.weight) && c.weight > 0 ? c.weight : 0;
}
