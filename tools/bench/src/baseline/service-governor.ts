// BASELINE COPY (tools/bench): the pick path of libs/sdk (ServiceGovernor.pick and the shell of
// Skyroad.pick) as of 2026-11-21 06:20 UTC, before the pick optimisations of issue 10. Kept only
// so the sdk suite can report before/after ratios. Do not use it anywhere else.
import { CircuitBreaker, type Policy, type RequestContext } from '@skyroad/governance';
import { PolicyRouter } from './policy-router';
import type { Endpoint } from '@skyroad/governance';

export interface BaselineInstance extends Endpoint {
  readonly enabled: boolean;
  readonly healthy: boolean;
}

export class BaselineServiceGovernor<T extends BaselineInstance> {
  private readonly router: PolicyRouter;
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly inFlight = new Map<string, number>();

  constructor(
    private readonly policy: Policy,
    random: () => number,
    private readonly clock: () => number = Date.now,
  ) {
    this.router = new PolicyRouter(policy, { random });
  }

  pick(instances: readonly T[], ctx: RequestContext, exclude?: ReadonlySet<string>): T {
    if (instances.length === 0) throw new Error('no healthy, enabled instance registered');
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
    throw new Error('no instance matches the policy for this request');
  }

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

/** The shell of Skyroad.pick: an async lookup of the service's entry, then the governor. */
export class BaselineSkyroad<T extends BaselineInstance> {
  private readonly services = new Map<
    string,
    { loaded: boolean; eligible: () => T[]; governor: BaselineServiceGovernor<T> }
  >();

  constructor(service: string, instances: readonly T[], policy: Policy, random: () => number) {
    const eligible = instances.filter((i) => i.enabled && i.healthy);
    this.services.set(service, {
      loaded: true,
      eligible: () => eligible,
      governor: new BaselineServiceGovernor<T>(policy, random),
    });
  }

  async pick(service: string, options: RequestContext = {}): Promise<T> {
    const entry = await this.loaded(service);
    return entry.governor.pick(entry.eligible(), options);
  }

  private async loaded(service: string) {
    const entry = this.services.get(service);
    if (!entry?.loaded) throw new Error(`unknown service ${service}`);
    return entry;
  }
}
