import { createBalancer } from '../balancers/create-balancer';
import type { InFlightLookup, Endpoint, RandomSource, RequestContext } from '../model/endpoint';
import type { LoadBalancer } from '../balancers/load-balancer';
import type { Destination, Policy } from '../schema/policy-schema';
import { CompiledPolicy } from './compiled-policy';
import { filterSubset } from './subset';

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

/** A destination that can take traffic, with its subset's members and its balancer. */
interface RoutableDestination {
  readonly destination: Destination;
  readonly members: readonly Endpoint[];
  readonly balancer: LoadBalancer;
}

/** Where one route sends traffic, for one list of instances. */
interface RouteTable {
  /** Destinations with weight above zero and at least one member, in policy order. */
  readonly routable: readonly RoutableDestination[];
  readonly totalWeight: number;
  /** For a route without destinations (no default route): any instance, one balancer. */
  readonly any: LoadBalancer | undefined;
}

const NO_CONTEXT: RequestContext = Object.freeze({});
const NO_OPTIONS: PickOptions = Object.freeze({});

/**
 * Evaluates one service's policy: route -> weighted destination -> subset -> load balancer.
 * Holds the balancers' state (round-robin positions, smooth-WRR weights), one balancer per
 * route destination so that subsets do not disturb one another's rotation. Pass the
 * instances that may take traffic (healthy, enabled, circuit not open) in a stable order.
 *
 * The subset members of every route destination are worked out once per list of instances
 * and reused while the caller passes the same array again (the SDK keeps one array per
 * change of the instance set): treat a list handed to pick() as immutable, and pass a new
 * array when the set changes.
 */
export class PolicyRouter {
  private readonly random: RandomSource;
  private readonly balancers = new Map<string, LoadBalancer>();
  private readonly compiled: CompiledPolicy;
  private readonly hashes: boolean;
  private tablesFor: readonly Endpoint[] | undefined;
  private tables: Array<RouteTable | undefined> = [];
  /** Reused balancer input: balancers read it during pick() and keep nothing of it. */
  private readonly input: { hashKey: string | undefined; inFlight: InFlightLookup | undefined } = {
    hashKey: undefined,
    inFlight: undefined,
  };

  constructor(
    readonly policy: Policy = {},
    options: PolicyRouterOptions = {},
  ) {
    this.random = options.random ?? Math.random;
    this.compiled = new CompiledPolicy(policy);
    this.hashes = (policy.loadBalancer?.strategy ?? 'round_robin') === 'consistent_hash';
  }

  pick<T extends Endpoint>(
    instances: readonly T[],
    ctx: RequestContext = NO_CONTEXT,
    options: PickOptions = NO_OPTIONS,
  ): RoutedPick<T> | undefined {
    if (instances.length === 0) return undefined;
    const compiled = this.compiled;
    const r = compiled.select(ctx);
    const route = compiled.routes[r].name;
    const table = this.table(r, instances);
    const input = this.input;
    input.hashKey = this.hashes ? compiled.hashKey(ctx) : undefined;
    input.inFlight = options.inFlight;
    if (table.any !== undefined) {
      const instance = table.any.pick(instances, input);
      return instance && { instance, route, destination: null };
    }
    const chosen = this.chooseWeighted(table);
    if (chosen === undefined) return undefined;
    const instance = chosen.balancer.pick(chosen.members as readonly T[], input);
    return instance && { instance, route, destination: chosen.destination };
  }

  /** The value consistent hashing keys on for this request, from `hashOn`. */
  hashKey(ctx: RequestContext): string | undefined {
    this.compiled.select(ctx);
    return this.compiled.hashKey(ctx);
  }

  /** Same draw as chooseWeighted(): one random number per pick, weights in policy order. */
  private chooseWeighted(table: RouteTable): RoutableDestination | undefined {
    const options = table.routable;
    if (table.totalWeight <= 0) return undefined;
    let r = this.random() * table.totalWeight;
    for (let i = 0; i < options.length; i++) {
      r -= options[i].destination.weight;
      if (r < 0) return options[i];
    }
    return options[options.length - 1];
  }

  /** Route r's table for these instances, built on first use after the list changed. */
  private table(r: number, instances: readonly Endpoint[]): RouteTable {
    if (instances !== this.tablesFor) {
      this.tablesFor = instances;
      this.tables = [];
    }
    let table = this.tables[r];
    if (table === undefined) {
      table = this.buildTable(r, instances);
      this.tables[r] = table;
    }
    return table;
  }

  private buildTable(r: number, instances: readonly Endpoint[]): RouteTable {
    const route = this.compiled.routes[r];
    if (route.destinations === null) return { routable: [], totalWeight: 0, any: this.balancer('*') };
    const routable: RoutableDestination[] = [];
    let totalWeight = 0;
    route.destinations.forEach((destination, index) => {
      if (destination.weight <= 0) return;
      const members = filterSubset(instances, destination.subset);
      if (members.length === 0) return;
      routable.push({ destination, members, balancer: this.balancer(`${route.name ?? ''}#${index}`) });
      totalWeight += destination.weight;
    });
    return { routable, totalWeight, any: undefined };
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
