// BASELINE COPY (tools/bench): libs/governance as of 2026-11-21 06:20 UTC, before the pick
// optimisations of issue 10. Kept only so the sdk suite can report before/after ratios.
// Do not use it anywhere else, and do not optimise it.
import type { RandomSource } from '@skyroad/governance';
import type { Strategy } from '@skyroad/governance';
import { ConsistentHashBalancer } from './consistent-hash';
import { LeastRequestBalancer } from './least-request';
import type { LoadBalancer } from './load-balancer';
import { P2CBalancer } from './p2c';
import { RandomBalancer } from './random';
import { RoundRobinBalancer } from './round-robin';
import { WeightedRoundRobinBalancer } from './weighted-round-robin';

export function createBalancer(
  strategy: Strategy = 'round_robin',
  random: RandomSource = Math.random,
): LoadBalancer {
  switch (strategy) {
    case 'round_robin':
      return new RoundRobinBalancer();
    case 'weighted_round_robin':
      return new WeightedRoundRobinBalancer();
    case 'random':
      return new RandomBalancer(random);
    case 'least_request':
      return new LeastRequestBalancer(random);
    case 'consistent_hash':
      return new ConsistentHashBalancer(random);
    case 'p2c':
      return new P2CBalancer(random);
  }
}
