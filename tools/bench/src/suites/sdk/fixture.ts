import type { Policy, RequestContext, Strategy } from '@skyroad/governance';

/** The service the sdk suite picks from. */
export const SERVICE = 'orders';
export const INSTANCE_COUNT = 100;
export const VERSIONS = ['v1', 'v2', 'v3'] as const;

export interface FixtureInstance {
  readonly id: string;
  readonly namespace: string;
  readonly service: string;
  readonly host: string;
  readonly port: number;
  readonly weight: number;
  readonly enabled: boolean;
  readonly healthy: boolean;
  readonly metadata: Readonly<Record<string, string>>;
  readonly ttl: number;
  readonly revision: number;
}

/** 100 instances: 60 v1, 30 v2, 10 v3, over three zones, weights 50..150; sorted by id. */
export function instances(): FixtureInstance[] {
  return Array.from({ length: INSTANCE_COUNT }, (_, i) => {
    const version = i < 60 ? 'v1' : i < 90 ? 'v2' : 'v3';
    return {
      id: `orders-10.0.${Math.floor(i / 250)}.${(i % 250) + 1}-8080`,
      namespace: 'default',
      service: SERVICE,
      host: `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`,
      port: 8080,
      weight: 50 + (i % 3) * 50,
      enabled: true,
      healthy: true,
      metadata: { version, zone: ['bj-a', 'bj-b', 'gz-a'][i % 3], team: 'orders' },
      ttl: 10,
      revision: 100 + i,
    };
  }).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Three routes (headers, caller metadata, both) and a 90/10 default route, with a breaker. */
export function policy(strategy: Strategy): Policy {
  return {
    loadBalancer: { strategy, hashOn: 'header:x-user-id' },
    routes: [
      {
        name: 'canary-testers',
        match: { headers: { 'x-canary': '1' } },
        destinations: [{ subset: { version: 'v3' }, weight: 100 }],
      },
      {
        name: 'qa-team',
        match: { callerMetadata: { team: 'qa' } },
        destinations: [
          { subset: { version: 'v2' }, weight: 50 },
          { subset: { version: 'v3' }, weight: 50 },
        ],
      },
      {
        name: 'mobile-bj',
        match: { headers: { 'X-Client': 'mobile' }, callerMetadata: { zone: 'bj-a' } },
        destinations: [{ subset: { version: 'v2', zone: 'bj-a' }, weight: 100 }],
      },
    ],
    defaultRoute: {
      destinations: [
        { subset: { version: 'v1' }, weight: 90 },
        { subset: { version: 'v2' }, weight: 10 },
      ],
    },
    circuitBreaker: { errorRatePercent: 50, minRequests: 20 },
  };
}

const COMMON_HEADERS = {
  'content-type': 'application/json',
  'user-agent': 'checkout/2.3.1',
  accept: 'application/json',
  'x-request-id': 'b7c1d2e3-0000-4000-8000-000000000000',
};

/**
 * The request mix, cycled: one request in four per route and one to the default route, with
 * header names in mixed case as real callers send them.
 */
export function contexts(): RequestContext[] {
  const out: RequestContext[] = [];
  for (let user = 0; user < 64; user++) {
    const userId = `user-${user}`;
    out.push(
      { headers: { ...COMMON_HEADERS, 'X-Canary': '1', 'x-user-id': userId } },
      { headers: { ...COMMON_HEADERS, 'X-User-Id': userId }, callerMetadata: { team: 'qa', zone: 'gz-a' } },
      {
        headers: { ...COMMON_HEADERS, 'x-client': 'mobile', 'x-user-id': userId },
        callerMetadata: { team: 'app', zone: 'bj-a' },
      },
      { headers: { ...COMMON_HEADERS, 'x-user-id': userId }, callerMetadata: { team: 'web', zone: 'bj-b' } },
    );
  }
  return out;
}
