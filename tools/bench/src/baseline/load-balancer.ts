// BASELINE COPY (tools/bench): libs/governance as of 2026-11-21 06:20 UTC, before the pick
// optimisations of issue 10. Kept only so the sdk suite can report before/after ratios.
// Do not use it anywhere else, and do not optimise it.
import type { Endpoint, InFlightLookup } from '@skyroad/governance';
import type { Strategy } from '@skyroad/governance';

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
