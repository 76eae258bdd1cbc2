import { validatePolicy } from '../src/index';

const example = {
  loadBalancer: { strategy: 'round_robin', hashOn: 'header:x-user-id' },
  routes: [
    {
      name: 'canary-testers',
      match: { headers: { 'x-canary': '1' }, callerMetadata: { team: 'qa' } },
      destinations: [{ subset: { version: 'v2' }, weight: 100 }],
    },
  ],
  defaultRoute: {
    destinations: [
      { subset: { version: 'v1' }, weight: 90 },
      { subset: { version: 'v2' }, weight: 10 },
    ],
  },
  circuitBreaker: {
    errorRatePercent: 50,
    minRequests: 20,
    windowMs: 10000,
    openMs: 30000,
    halfOpenRequests: 5,
  },
  rateLimit: { requestsPerSecond: 100, burst: 50 },
  timeoutMs: 2000,
  retry: { attempts: 2, on: ['connect-failure', '5xx'] },
};

describe('validatePolicy', () => {
  it('accepts an empty document', () => {
    expect(validatePolicy({})).toEqual({ ok: true, policy: {} });
  });

  it('accepts the example document of ARCHITECTURE.md unchanged', () => {
    expect(validatePolicy(example)).toEqual({ ok: true, policy: example });
  });

  it('names the path of a destination sum that is not 100', () => {
    const result = validatePolicy({
      defaultRoute: { destinations: [{ subset: { version: 'v1' }, weight: 90 }] },
    });
    expect(result).toEqual({
      ok: false,
      errors: ['defaultRoute.destinations: weights must add up to 100 (got 90)'],
    });
  });

  it('reports every reason at once, each with its path', () => {
    const result = validatePolicy({
      foo: 1,
      loadBalancer: { strategy: 'consistent_hash', bar: 2 },
      routes: [
        { name: 'a', destinations: [{ subset: {}, weight: 100 }] },
        { name: 'a', destinations: [{ subset: {}, weight: 100 }] },
      ],
      timeoutMs: 0,
      retry: { attempts: 11, on: ['5xx', '5xx'] },
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.sort()).toEqual(
      [
        'foo: unknown field',
        'loadBalancer.bar: unknown field',
        'loadBalancer.hashOn: consistent_hash requires hashOn',
        'routes[1].name: duplicate route name "a" (also routes[0])',
        'timeoutMs: must be at least 1',
        'retry.attempts: must be at most 10',
        'retry.on: lists a condition twice',
      ].sort(),
    );
  });

  it('refuses a document that is not an object', () => {
    for (const input of [null, 'x', 3, []]) {
      expect(validatePolicy(input)).toEqual({ ok: false, errors: ['policy: must be an object'] });
    }
    expect(validatePolicy(undefined)).toEqual({ ok: false, errors: ['policy: is required'] });
  });
});
