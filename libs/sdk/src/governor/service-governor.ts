import {
  CircuitBreaker,
  PolicyRouter,
  TokenBucket,
  routableDestinations,
  selectRoute,
  type CircuitPermit,
  type CircuitState,
  type Policy,
  type RequestContext,
} from '@skyroad/governance';
import { CircuitOpenError, NoInstanceError } from '../errors.ts';
import type { Instance } from '../types.ts';

const NO_BREAKER_PERMIT: CircuitPermit = { success: () => undefined, failure: () => undefined };

/**
 * Applies one service's policy on the client: routing and load balancing (PolicyRouter), a
 * circuit breaker per instance, in-flight counts (least_request, p2c) and the client-side
 * rate limit. A new policy takes effect on the next pick; breakers keep their state unless
 * the policy's circuitBreaker settings changed.
 */
export class ServiceGovernor {
  private router: PolicyRouter;
  private policy: Policy;
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly inFlight = new Map<string, number>();
  private limiter: TokenBucket | undefined;

  constructor(
    readonly service: string,
    policy: Policy,
    private readonly random: () => number,
    private readonly clock: () => number = Date.now,
  ) {
    this.policy = policy;
    this.router = new PolicyRouter(policy, { random });
    this.limiter = policy.rateLimit && new TokenBucket(policy.rateLimit, clock);
  }

  get currentPolicy(): Policy {
    return this.policy;
  }

  setPolicy(policy: Policy): void {
    if (JSON.stringify(policy) === JSON.stringify(this.policy)) return;
    if (JSON.stringify(policy.circuitBreaker) !== JSON.stringify(this.policy.circuitBreaker))
      this.breakers.clear();
    if (JSON.stringify(policy.rateLimit) !== JSON.stringify(this.policy.rateLimit)) {
      this.limiter = policy.rateLimit && new TokenBucket(policy.rateLimit, this.clock);
    }
    this.policy = policy;
    this.router = new PolicyRouter(policy, { random: this.random });
  }

  /**
   * Picks an instance for a request: instances whose circuit is open (or half-open with its
   * trials taken) and those in `exclude` are skipped.
   */
  pick(instances: readonly Instance[], ctx: RequestContext, exclude?: ReadonlySet<string>): Instance {
    if (instances.length === 0)
      throw new NoInstanceError(this.service, 'no healthy, enabled instance registered');
    const open: string[] = [];
    const candidates = instances.filter((i) => {
      if (exclude?.has(i.id)) return false;
      if (this.breaker(i.id)?.canAcquire() === false) {
        open.push(i.id);
        return false;
      }
      return true;
    });
    const chosen = this.router.pick(candidates, ctx, { inFlight: (id) => this.inFlight.get(id) ?? 0 });
    if (chosen) return chosen.instance;
    if (
      open.length > 0 &&
      this.routable(
        instances.filter((i) => !exclude?.has(i.id)),
        ctx,
      )
    ) {
      throw new CircuitOpenError(this.service, open);
    }
    throw new NoInstanceError(
      this.service,
      exclude && exclude.size > 0
        ? 'no other instance to retry on'
        : 'no instance matches the policy for this request',
    );
  }

  /** Whether the policy would route this request to one of `instances`, breakers aside. */
  private routable(instances: readonly Instance[], ctx: RequestContext): boolean {
    const { destinations } = selectRoute(this.policy, ctx);
    if (destinations === null) return instances.length > 0;
    return routableDestinations(destinations, instances).length > 0;
  }

  /** Takes a rate-limit token; returns the wait in ms when none is left (0 when taken). */
  takeToken(): number {
    if (!this.limiter) return 0;
    return this.limiter.tryTake() ? 0 : Math.max(1, this.limiter.waitMs());
  }

  /** A permit for one request to the instance; null when its circuit does not admit one. */
  acquire(instanceId: string): CircuitPermit | null {
    const breaker = this.breaker(instanceId);
    return breaker ? breaker.tryAcquire() : NO_BREAKER_PERMIT;
  }

  circuitState(instanceId: string): CircuitState {
    return this.breaker(instanceId)?.state ?? 'closed';
  }

  started(instanceId: string): void {
    this.inFlight.set(instanceId, (this.inFlight.get(instanceId) ?? 0) + 1);
  }

  finished(instanceId: string): void {
    const n = (this.inFlight.get(instanceId) ?? 1) - 1;
    if (n <= 0) this.inFlight.delete(instanceId);
    else this.inFlight.set(instanceId, n);
  }

  /** Forgets breakers of instances that left. */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.breakers.keys()) if (!ids.has(id)) this.breakers.delete(id);
  }

  /** The instance's breaker; none when the policy has no circuitBreaker section. */
  private breaker(instanceId: string): CircuitBreaker | undefined {
    if (!this.policy.circuitBreaker) return undefined;
    let breaker = this.breakers.get(instanceId);
    if (!breaker) {
      breaker = new CircuitBreaker(this.policy.circuitBreaker, this.clock);
      this.breakers.set(instanceId, breaker);
    }
    return breaker;
  }
}
