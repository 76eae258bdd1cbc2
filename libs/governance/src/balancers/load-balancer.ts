import type { Endpoint, InFlightLookup } from '../model/endpoint';
import type { Strategy } from '../schema/policy-schema';

/** What a balancer may look at besides the candidates. */
export interface BalancerInput {
  /** The value consistent hashing keys on (already resolved from `hashOn`). */
  readonly hashKey?: string;
  /** In-flight request counts, for least_request and p2c; none means all idle. */
  readonly inFlight?: InFlightLookup;
}

/**
 * Picks one of the candidates. Candidates come in a stable order (the caller sorts them by
 * id), so stateful balancers such as round robin cycle predictably.
 */
export interface LoadBalancer {
  readonly strategy: Strategy;
  pick<T extends Endpoint>(candidates: readonly T[], input?: BalancerInput): T | undefined;
}
