// BASELINE COPY (tools/bench): libs/governance as of 2026-11-21 06:20 UTC, before the pick
// optimisations of issue 10. Kept only so the sdk suite can report before/after ratios.
// Do not use it anywhere else, and do not optimise it.
import { createBalancer } from './create-balancer';
import type { InFlightLookup, Endpoint, RandomSource, RequestContext } from '@skyroad/governance';
import type { LoadBalancer } from './load-balancer';
import type { Destination, Policy } from '@skyroad/governance';
import { chooseWeighted, routableDestinations } from './destination-chooser';
import { headerValue, selectRoute } from './route-matcher';

export interface PolicyRouterOptions {
  /** Random source for destination choice and the random-based balancers. */
  readonly random?: RandomSource;
}

export interface PickOptions {
  /** In-flight counts for least_request and p2c. */
  readonly inFlight?: InFlightLookup;
}

export interface RoutedPick<T extends Endpoint> {
  readonly instance: T;
  /** The route that matched, or null for the default route. */
  readonly route: string | null;
  /** The destination chosen, or null when the policy has no default route. */
  readonly destination: Destination | null;
}

/**
 * Evaluates one service's policy: route -> weighted destination -> subset -> load balancer.
 * Holds the balancers' state (round-robin positions, smooth-WRR weights), one balancer per
 * route destination so that subsets do not disturb one another's rotation. Pass the
 * instances that may take traffic (healthy, enabled, circuit not open) in a stable order.
 */
export class PolicyRouter {
  private readonly random: RandomSource;
  private readonly balancers = new Map<string, LoadBalancer>();

  constructor(
    readonly policy: Policy = {},
    options: PolicyRouterOptions = {},
  ) {
    this.random = options.random ?? Math.random;
  }

  pick<T extends Endpoint>(
    instances: readonly T[],
    ctx: RequestContext = {},
    options: PickOptions = {},
  ): RoutedPick<T> | undefined {
    if (instances.length === 0) return undefined;
    const selection = selectRoute(this.policy, ctx);
    const input = { hashKey: this.hashKey(ctx), inFlight: options.inFlight };
    if (selection.destinations === null) {
      const instance = this.balancer('*').pick(instances, input);
      return instance && { instance, route: selection.route, destination: null };
    }
    const options_ = routableDestinations(selection.destinations, instances);
    const chosen = chooseWeighted(options_, this.random);
    if (chosen === undefined) return undefined;
    const index = selection.destinations.indexOf(chosen.destination);
    const instance = this.balancer(`${selection.route ?? ''}#${index}`).pick(chosen.instances, input);
    return instance && { instance, route: selection.route, destination: chosen.destination };
  }

  /** The value consistent hashing keys on for this request, from `hashOn`. */
  hashKey(ctx: RequestContext): string | undefined {
    const hashOn = this.policy.loadBalancer?.hashOn ?? 'key';
    if (hashOn === 'key') return ctx.hashKey;
    if (hashOn.startsWith('header:')) return headerValue(ctx.headers, hashOn.slice('header:'.length));
    if (hashOn.startsWith('metadata:')) return ctx.callerMetadata?.[hashOn.slice('metadata:'.length)];
    return undefined;
  }

  private balancer(key: string): LoadBalancer {
    let balancer = this.balancers.get(key);
    if (balancer === undefined) {
      balancer = createBalancer(this.policy.loadBalancer?.strategy, this.random);
      this.balancers.set(key, balancer);
    }
    return balancer;
  }
}
