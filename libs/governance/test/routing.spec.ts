import fc from 'fast-check';
import {
  PolicyRouter,
  matchesSubset,
  seededRandom,
  selectRoute,
  trafficSplit,
  validatePolicy,
  type Endpoint,
  type Policy,
} from '../src/index';

const sixSigma = (n: number, p: number) => 6 * Math.sqrt(n * p * (1 - p));

const instance = (id: string, metadata: Record<string, string>, weight = 100): Endpoint => ({
  id,
  weight,
  metadata,
});

const fleet = [
  instance('v1-a', { version: 'v1', zone: 'a' }),
  instance('v1-b', { version: 'v1', zone: 'b' }),
  instance('v2-a', { version: 'v2', zone: 'a' }),
  instance('v3-a', { version: 'v3', zone: 'a' }, 300),
];

const policy: Policy = {
  routes: [
    {
      name: 'canary-testers',
      match: { headers: { 'x-canary': '1' }, callerMetadata: { team: 'qa' } },
      destinations: [{ subset: { version: 'v2' }, weight: 100 }],
    },
    {
      name: 'zone-b',
      match: { headers: { 'x-zone': 'b' } },
      destinations: [{ subset: { zone: 'b' }, weight: 100 }],
    },
  ],
  defaultRoute: {
    destinations: [
      { subset: { version: 'v1' }, weight: 90 },
      { subset: { version: 'v2' }, weight: 10 },
    ],
  },
};

describe('route matching', () => {
  it('takes the first route whose headers (any case) and caller metadata all match', () => {
    const canary = { headers: { 'X-Canary': '1' }, callerMetadata: { team: 'qa' } };
    expect(selectRoute(policy, canary).route).toBe('canary-testers');
    expect(selectRoute(policy, { headers: { 'x-canary': '1' } }).route).toBeNull();
    expect(selectRoute(policy, { ...canary, callerMetadata: { team: 'ops' } }).route).toBeNull();
    expect(selectRoute(policy, { headers: { 'x-canary': '1', 'x-zone': 'b' } }).route).toBe('zone-b');
    expect(selectRoute({ routes: policy.routes }, {})).toEqual({ route: null, destinations: null });
  });

  it('routes a matching request only to its subset', () => {
    const router = new PolicyRouter(policy, { random: seededRandom(1) });
    for (let k = 0; k < 50; k++) {
      const pick = router.pick(fleet, { headers: { 'x-canary': '1' }, callerMetadata: { team: 'qa' } })!;
      expect(pick.instance.id).toBe('v2-a');
      expect(pick.route).toBe('canary-testers');
    }
  });

  it('with no policy, round-robins over every instance', () => {
    const router = new PolicyRouter();
    expect(fleet.map(() => router.pick(fleet)!.instance.id)).toEqual(fleet.map((i) => i.id));
  });

  it('returns undefined when no destination has an instance', () => {
    const router = new PolicyRouter({
      defaultRoute: { destinations: [{ subset: { version: 'v9' }, weight: 100 }] },
    });
    expect(router.pick(fleet)).toBeUndefined();
    expect(router.pick([])).toBeUndefined();
  });
});

describe('weighted destinations', () => {
  it("gives each destination its weight's share of picks (6 sigma bounds)", () => {
    const weights = fc.array(fc.integer({ min: 1, max: 98 }), { minLength: 1, maxLength: 3 }).map((cuts) => {
      const points = [0, ...[...new Set(cuts)].sort((a, b) => a - b), 100];
      return points.slice(1).map((p, i) => p - points[i]);
    });
    fc.assert(
      fc.property(weights, fc.integer(), (ws, seed) => {
        const instances = ws.flatMap((_, d) => [
          instance(`d${d}-x`, { dest: String(d) }),
          instance(`d${d}-y`, { dest: String(d) }),
        ]);
        const router = new PolicyRouter(
          {
            defaultRoute: { destinations: ws.map((weight, d) => ({ subset: { dest: String(d) }, weight })) },
          },
          { random: seededRandom(seed) },
        );
        const n = 10_000;
        const counts = ws.map(() => 0);
        for (let k = 0; k < n; k++) counts[Number(router.pick(instances)!.instance.metadata.dest)] += 1;
        ws.forEach((w, d) =>
          expect(Math.abs(counts[d] - (n * w) / 100)).toBeLessThanOrEqual(sixSigma(n, w / 100)),
        );
      }),
      { numRuns: 20 },
    );
  });

  it('only ever picks instances of the chosen subset', () => {
    const meta = fc.dictionary(fc.constantFrom('version', 'zone', 'tier'), fc.constantFrom('a', 'b'), {
      maxKeys: 3,
    });
    fc.assert(
      fc.property(
        fc.array(meta, { minLength: 1, maxLength: 12 }),
        meta,
        fc.integer(),
        (metas, subset, seed) => {
          const instances = metas.map((m, i) => instance(`i${i}`, m));
          for (const strategy of [
            'round_robin',
            'random',
            'p2c',
            'least_request',
            'weighted_round_robin',
          ] as const) {
            const router = new PolicyRouter(
              { loadBalancer: { strategy }, defaultRoute: { destinations: [{ subset, weight: 100 }] } },
              { random: seededRandom(seed) },
            );
            const anyMatch = instances.some((i) => matchesSubset(subset, i.metadata));
            for (let k = 0; k < 10; k++) {
              const pick = router.pick(instances);
              if (!anyMatch) expect(pick).toBeUndefined();
              else expect(matchesSubset(subset, pick!.instance.metadata)).toBe(true);
            }
          }
        },
      ),
    );
  });

  it('hashes on the header named by hashOn', () => {
    const router = new PolicyRouter({
      loadBalancer: { strategy: 'consistent_hash', hashOn: 'header:x-user-id' },
    });
    for (let u = 0; u < 20; u++) {
      const headers = { 'X-User-Id': `u${u}` };
      const first = router.pick(fleet, { headers })!.instance.id;
      for (let k = 0; k < 5; k++) expect(router.pick(fleet, { headers })!.instance.id).toBe(first);
    }
  });
});

describe('trafficSplit', () => {
  const share = (p: Policy, ids: Endpoint[] = fleet) =>
    Object.fromEntries(trafficSplit(p, ids).map((s) => [s.instance.id, Math.round(s.share * 1000) / 1000]));

  it('splits the default route by destination weight, then evenly within a subset', () => {
    expect(share(policy)).toEqual({ 'v1-a': 0.45, 'v1-b': 0.45, 'v2-a': 0.1, 'v3-a': 0 });
  });

  it('splits by instance weight under weighted_round_robin', () => {
    expect(share({ loadBalancer: { strategy: 'weighted_round_robin' } })).toEqual({
      'v1-a': 0.167,
      'v1-b': 0.167,
      'v2-a': 0.167,
      'v3-a': 0.5,
    });
  });

  it("gives an empty destination's share to the others", () => {
    expect(
      share(
        policy,
        fleet.filter((i) => i.metadata.version !== 'v2'),
      ),
    ).toEqual({
      'v1-a': 0.5,
      'v1-b': 0.5,
      'v3-a': 0,
    });
  });

  it('always adds up to 1 when something is routable, and agrees with the router', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 99 }), fc.integer(), (w, seed) => {
        const p: Policy = {
          defaultRoute: {
            destinations: [
              { subset: { version: 'v1' }, weight: w },
              { subset: { version: 'v2' }, weight: 100 - w },
            ],
          },
        };
        expect(validatePolicy(p).ok).toBe(true);
        const split = trafficSplit(p, fleet);
        expect(split.reduce((s, x) => s + x.share, 0)).toBeCloseTo(1, 9);
        const router = new PolicyRouter(p, { random: seededRandom(seed) });
        const n = 4000;
        const counts = new Map<string, number>();
        for (let k = 0; k < n; k++) {
          const id = router.pick(fleet)!.instance.id;
          counts.set(id, (counts.get(id) ?? 0) + 1);
        }
        for (const { instance: i, share: s } of split) {
          expect(Math.abs((counts.get(i.id) ?? 0) - n * s)).toBeLessThanOrEqual(sixSigma(n, s) + 1);
        }
      }),
      { numRuns: 20 },
    );
  });
});
