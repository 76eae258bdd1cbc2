import type { Endpoint } from '../model/endpoint';
import type { LoadBalancer } from './load-balancer';

/** Each candidate in turn. */
export class RoundRobinBalancer implements LoadBalancer {
  readonly strategy = 'round_robin' as const;
  private next = 0;

  pick<T extends Endpoint>(candidates: readonly T[]): T | undefined {
    if (candidates.length === 0) return undefined;
    const chosen = candidates[this.next % candidates.length];
    this.next = (this.next + 1) % Number.MAX_SAFE_INTEGER;
    return chosen;
  }
}
