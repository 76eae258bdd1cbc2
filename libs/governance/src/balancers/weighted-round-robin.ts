import type { Endpoint } from '../model/endpoint';
import type { LoadBalancer } from './load-balancer';

/**
 * Smooth weighted round robin, as nginx does it: every pick adds each candidate's weight to its
 * current weight, takes the largest, and subtracts the total from the chosen one. Over any
 * cycle of sum(weights) picks each candidate is chosen exactly weight times, interleaved
 * (5,1,1 gives a a b a c a a, not a a a a a b c). Weight 0 means no traffic, unless every
 * candidate has weight 0, in which case they share equally.
 *
 * While the same candidates array comes back, the current weights live in a typed array by
 * position; the map by id is only synced when the array changes, so a pick allocates nothing.
 */
export class WeightedRoundRobinBalancer implements LoadBalancer {
  readonly strategy = 'weighted_round_robin' as const;
  private readonly current = new Map<string, number>();
  private candidates: readonly Endpoint[] | undefined;
  private weights = new Float64Array(0);
  private currents = new Float64Array(0);
  /** Picks made on the current array, and whether the second one would forget departed ids. */
  private picks = 0;
  private forgetAfterSecondPick = false;

  pick<T extends Endpoint>(candidates: readonly T[]): T | undefined {
    if (candidates.length === 0) return undefined;
    if (candidates !== this.candidates) this.load(candidates);
    this.picks += 1;
    const weights = this.weights;
    const currents = this.currents;
    let total = 0;
    let best = -1;
    let bestCurrent = -Infinity;
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i];
      if (w === 0) continue;
      const cur = currents[i] + w;
      currents[i] = cur;
      total += w;
      if (cur > bestCurrent) {
        best = i;
        bestCurrent = cur;
      }
    }
    if (best < 0) return undefined;
    currents[best] = bestCurrent - total;
    return candidates[best];
  }

  /** Saves the weights of the previous array by id, then lays out the new one. */
  private load(candidates: readonly Endpoint[]): void {
    this.save();
    const allZero = candidates.every((c) => effectiveWeight(c) === 0);
    // What one map update per pick would do: forget departed ids once the map holds more
    // entries than there are candidates, checked before each pick.
    this.forgetDepartedIf(this.current.size > candidates.length, candidates);
    let sizeAfterFirstPick = this.current.size;
    for (const c of candidates) {
      if ((allZero || effectiveWeight(c) > 0) && !this.current.has(c.id)) sizeAfterFirstPick += 1;
    }
    this.forgetAfterSecondPick = sizeAfterFirstPick > candidates.length;
    this.candidates = candidates;
    this.picks = 0;
    this.weights = Float64Array.from(candidates, (c) => (allZero ? 1 : effectiveWeight(c)));
    this.currents = Float64Array.from(candidates, (c) => this.current.get(c.id) ?? 0);
  }

  private save(): void {
    const previous = this.candidates;
    if (previous === undefined) return;
    for (let i = 0; i < previous.length; i++) {
      if (this.weights[i] !== 0) this.current.set(previous[i].id, this.currents[i]);
    }
    this.forgetDepartedIf(this.picks >= 2 && this.forgetAfterSecondPick, previous);
  }

  private forgetDepartedIf(condition: boolean, candidates: readonly Endpoint[]): void {
    if (!condition) return;
    const ids = new Set(candidates.map((c) => c.id));
    for (const id of this.current.keys()) if (!ids.has(id)) this.current.delete(id);
  }
}

function effectiveWeight(c: Endpoint): number {
  return Number.isFinite(c.weight) && c.weight > 0 ? c.weight : 0;
}
