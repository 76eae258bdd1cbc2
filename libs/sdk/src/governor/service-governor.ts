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
const NO_EXCLUSIONS: ReadonlySet<string> = new Set();

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
  /** Ids whose breaker is open or half-open; while empty, no instance needs skipping. */
  private readonly notClosed = new Set<string>();
  private readonly pickOptions = { inFlight: (id: string): number => this.inFlight.get(id) ?? 0 };
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
    if (JSON.stringify(policy.circuitBreaker) !== JSON.stringify(this.policy.circuitBreaker)) {
      this.breakers.clear();
      this.notClosed.clear();
    }
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
  pick(
    instances: readonly Instance[],
    ctx: RequestContext,
    exclude: ReadonlySet<string> = NO_EXCLUSIONS,
  ): Instance {
    if (instances.length === 0)
      throw new NoInstanceError(this.service, 'no healthy, enabled instance registered');
    // The common case: every circuit closed, nothing excluded. The same array goes to the
    // router, which then reuses what it worked out for it (subset members per route).
    if (exclude.size === 0 && this.notClosed.size === 0) {
      const chosen = this.router.pick(instances, ctx, this.pickOptions);
      if (chosen) return chosen.instance;
      throw new NoInstanceError(this.service, 'no instance matches the policy for this request');
    }
    const open: string[] = [];
    const candidates = instances.filter((i) => {
      if (exclude.has(i.id)) return false;
      if (this.breaker(i.id)?.canAcquire() === false) {
        open.push(i.id);
        return false;
      }
      return true;
    });
    const chosen = this.router.pick(candidates, ctx, this.pickOptions);
    if (chosen) return chosen.instance;
    if (
      open.length > 0 &&
      this.routable(
        instances.filter((i) => !exclude.has(i.id)),
        ctx,
      )
    ) {
      throw new CircuitOpenError(this.service, open);
    }
    throw new NoInstanceError(
      this.service,
      exclude.size > 0 ? 'no other instance to retry on' : 'no instance matches the policy for this request',
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
    for (const id of this.breakers.keys()) {
      if (!ids.has(id)) {
        this.breakers.delete(id);
        this.notClosed.delete(id);
      }
    }
  }

  /** The instance's breaker; none when the policy has no circuitBreaker section. */
  private breaker(instanceId: string): CircuitBreaker | undefined {
    if (!this.policy.circuitBreaker) return undefined;
    let breaker = this.breakers.get(instanceId);
    if (!breaker) {
      const created = new CircuitBreaker(this.policy.circuitBreaker, this.clock, (_from, to) => {
        // A replaced breaker (new settings, instance gone and back) no longer counts.
        if (this.breakers.get(instanceId) !== created) return;
        if (to === 'closed') this.notClosed.delete(instanceId);
        else this.notClosed.add(instanceId);
      });
      breaker = created;
      this.breakers.set(instanceId, breaker);
    }
    return breaker;
  }
}
