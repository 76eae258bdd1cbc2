import type { RandomSource } from '../model/endpoint';
import type { Strategy } from '../schema/policy-schema';
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
