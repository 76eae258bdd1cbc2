export {
  policySchema,
  strategySchema,
  loadBalancerSchema,
  destinationSchema,
  routeMatchSchema,
  routeSchema,
  defaultRouteSchema,
  circuitBreakerSchema,
  rateLimitSchema,
  retrySchema,
  STRATEGIES,
  RETRY_CONDITIONS,
  type Policy,
  type Strategy,
  type RetryCondition,
  type LoadBalancerPolicy,
  type Destination,
  type RouteMatch,
  type Route,
  type DefaultRoute,
  type CircuitBreakerPolicy,
  type RateLimitPolicy,
  type RetryPolicy,
} from './schema/policy-schema';
export { LIMITS } from './schema/limits';
export { validatePolicy, formatPath, type ValidationResult } from './schema/validate';
export type { Endpoint, RequestContext, RandomSource, Clock, InFlightLookup } from './model/endpoint';
export { seededRandom } from './random/prng';
export { murmur3 } from './random/hash';
export { matchesSubset, filterSubset } from './routing/subset';
export { selectRoute, routeMatches, headerValue, type RouteSelection } from './routing/route-matcher';
export {
  routableDestinations,
  chooseWeighted,
  type DestinationCandidates,
} from './routing/destination-chooser';
export {
  PolicyRouter,
  type PolicyRouterOptions,
  type PickOptions,
  type RoutedPick,
} from './routing/policy-router';
export type { LoadBalancer, BalancerInput } from './balancers/load-balancer';
export { RoundRobinBalancer } from './balancers/round-robin';
export { WeightedRoundRobinBalancer } from './balancers/weighted-round-robin';
export { RandomBalancer } from './balancers/random';
export { LeastRequestBalancer } from './balancers/least-request';
export { P2CBalancer } from './balancers/p2c';
export { ConsistentHashBalancer, HashRing, VIRTUAL_NODES_PER_INSTANCE } from './balancers/consistent-hash';
export { createBalancer } from './balancers/create-balancer';
export {
  CircuitBreaker,
  CIRCUIT_BREAKER_DEFAULTS,
  WINDOW_BUCKETS,
  type CircuitState,
  type CircuitPermit,
} from './resilience/circuit-breaker';
export { TokenBucket } from './resilience/token-bucket';
export { trafficSplit, type InstanceShare } from './split/traffic-split';
export {
  NAME_PATTERN,
  type Instance,
  type ServiceSummary,
  type PolicyRecord,
  type PolicyVersion,
  type StoreMember,
  type EndpointStatus,
  type StoreClusterReport,
  type ClusterReport,
} from './api/registry-api';
