// BASELINE COPY (tools/bench): libs/governance as of 2026-11-21 06:20 UTC, before the pick
// optimisations of issue 10. Kept only so the sdk suite can report before/after ratios.
// Do not use it anywhere else, and do not optimise it.
import type { Endpoint, RandomSource } from '@skyroad/governance';
import { murmur3 } from './hash';
import type { BalancerInput, LoadBalancer } from './load-balancer';

/** Virtual nodes per instance: more spreads keys more evenly, at the cost of a bigger ring. */
export const VIRTUAL_NODES_PER_INSTANCE = 160;

/**
 * A hash ring of virtual nodes: a key goes to the first virtual node at or after its hash.
 * Adding an instance moves only the keys that now land on its virtual nodes (about 1/n of
 * them); removing one moves only its own keys. A request without a key goes to a random
 * candidate.
 */
export class ConsistentHashBalancer implements LoadBalancer {
  readonly strategy = 'consistent_hash' as const;
  private ring: HashRing | undefined;

  constructor(
    private readonly random: RandomSource = Math.random,
    private readonly virtualNodes: number = VIRTUAL_NODES_PER_INSTANCE,
  ) {}

  pick<T extends Endpoint>(candidates: readonly T[], input: BalancerInput = {}): T | undefined {
    if (candidates.length === 0) return undefined;
    if (input.hashKey === undefined) return candidates[Math.floor(this.random() * candidates.length)];
    const ids = candidates.map((c) => c.id);
    const signature = ids.join('\u0000');
    if (this.ring?.signature !== signature) this.ring = new HashRing(ids, this.virtualNodes, signature);
    const id = this.ring.lookup(input.hashKey);
    return candidates.find((c) => c.id === id);
  }
}

/** The ring itself: sorted virtual-node hashes and the instance each belongs to. */
export class HashRing {
  private readonly hashes: Uint32Array;
  private readonly owners: string[];

  constructor(
    ids: readonly string[],
    virtualNodes: number,
    readonly signature: string = ids.join('\u0000'),
  ) {
    const points: Array<[number, string]> = [];
    for (const id of ids) {
      for (let v = 0; v < virtualNodes; v++) points.push([murmur3(`${id}#${v}`), id]);
    }
    // Ties on a hash are broken by id, so the ring does not depend on the order of ids.
    points.sort((x, y) => x[0] - y[0] || (x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0));
    this.hashes = Uint32Array.from(points.map((p) => p[0]));
    this.owners = points.map((p) => p[1]);
  }

  lookup(key: string): string | undefined {
    if (this.owners.length === 0) return undefined;
    const h = murmur3(key);
    let lo = 0;
    let hi = this.hashes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.hashes[mid] < h) lo = mid + 1;
      else hi = mid;
    }
    return this.owners[lo === this.hashes.length ? 0 : lo];
  }
}
