import type { Endpoint } from '../model/endpoint';
import type { Policy } from '../schema/policy-schema';
import { routableDestinations } from '../routing/destination-chooser';

export interface InstanceShare<T extends Endpoint> {
  readonly instance: T;
  /** Expected fraction of the default route's traffic, 0..1. */
  readonly share: number;
}

/**
 * What share of traffic each instance gets under the default route (what the console shows).
 * Destinations without instances give their weight to the others in proportion; within a
 * destination, weighted_round_robin splits by instance weight and every other strategy
 * evenly (their long-run expectation). Shares add up to 1, or are all 0 when no destination
 * has an instance. An instance in several destinations' subsets gets the sum.
 */
export function trafficSplit<T extends Endpoint>(
  policy: Policy,
  instances: readonly T[],
): InstanceShare<T>[] {
  const shares = new Map<T, number>(instances.map((i) => [i, 0]));
  const destinations = policy.defaultRoute?.destinations;
  const groups = destinations
    ? routableDestinations(destinations, instances)
    : instances.length > 0
      ? [{ destination: { subset: {}, weight: 100 }, instances: [...instances] }]
      : [];
  const total = groups.reduce((sum, g) => sum + g.destination.weight, 0);
  const byWeight = policy.loadBalancer?.strategy === 'weighted_round_robin';
  for (const group of groups) {
    const groupShare = group.destination.weight / total;
    const weights = group.instances.map((i) => (byWeight ? Math.max(0, i.weight) : 1));
    const sum = weights.reduce((a, b) => a + b, 0);
    group.instances.forEach((instance, k) => {
      const part = sum > 0 ? weights[k] / sum : 1 / group.instances.length;
      shares.set(instance, (shares.get(instance) ?? 0) + groupShare * part);
    });
  }
  return instances.map((instance) => ({ instance, share: shares.get(instance) ?? 0 }));
}
