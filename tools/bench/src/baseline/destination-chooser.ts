// BASELINE COPY (tools/bench): libs/governance as of 2026-11-21 06:20 UTC, before the pick
// optimisations of issue 10. Kept only so the sdk suite can report before/after ratios.
// Do not use it anywhere else, and do not optimise it.
import type { Destination } from '@skyroad/governance';
import type { Endpoint, RandomSource } from '@skyroad/governance';
import { filterSubset } from './subset';

/** One destination of a route with the instances that belong to its subset. */
export interface DestinationCandidates<T extends Endpoint> {
  readonly destination: Destination;
  readonly instances: T[];
}

/**
 * The destinations that can take traffic now: weight above zero and at least one instance in
 * their subset. A destination without instances gives its share to the others in proportion
 * to their weights, so a drained subset does not turn into failed requests.
 */
export function routableDestinations<T extends Endpoint>(
  destinations: readonly Destination[],
  instances: readonly T[],
): DestinationCandidates<T>[] {
  const out: DestinationCandidates<T>[] = [];
  for (const destination of destinations) {
    if (destination.weight <= 0) continue;
    const members = filterSubset(instances, destination.subset);
    if (members.length > 0) out.push({ destination, instances: members });
  }
  return out;
}

/** Chooses one destination with probability proportional to its weight. */
export function chooseWeighted<D extends { readonly destination: Destination }>(
  options: readonly D[],
  random: RandomSource,
): D | undefined {
  const total = options.reduce((sum, o) => sum + o.destination.weight, 0);
  if (total <= 0) return undefined;
  let r = random() * total;
  for (const option of options) {
    r -= option.destination.weight;
    if (r < 0) return option;
  }
  return options[options.length - 1];
}
