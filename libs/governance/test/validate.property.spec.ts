import fc from 'fast-check';
import { LIMITS, RETRY_CONDITIONS, STRATEGIES, validatePolicy, type Policy } from '../src/index';

const token = fc.stringMatching(/^[a-z]([a-z0-9-]{0,9}[a-z0-9])?$/);
const smallMap = fc.dictionary(token, fc.string({ maxLength: 12 }), { maxKeys: 3 });

/** Destinations whose weights add up to exactly 100. */
const destinations = fc
  .array(fc.integer({ min: 0, max: 100 }), { minLength: 0, maxLength: 5 })
  .chain((cuts) => {
    const points = [0, ...cuts.sort((a, b) => a - b), 100];
    const weights = points.slice(1).map((p, i) => p - points[i]);
    return fc.tuple(...weights.map((w) => smallMap.map((subset) => ({ subset, weight: w }))));
  });

const route = fc.record(
  {
    name: token,
    match: fc.record({ headers: smallMap, callerMetadata: smallMap }, { requiredKeys: [] }),
    destinations,
  },
  { requiredKeys: ['name', 'destinations'] },
);

const loadBalancer = fc.oneof(
  fc.record({
    strategy: fc.constantFrom(...STRATEGIES.filter((s) => s !== 'consistent_hash')),
  }),
  fc.record({
    strategy: fc.constant('consistent_hash'),
    hashOn: fc.oneof(
      token.map((t) => `header:${t}`),
      token.map((t) => `metadata:${t}`),
      fc.constant('key'),
    ),
  }),
);

export const validPolicy: fc.Arbitrary<Policy> = fc.record(
  {
    loadBalancer,
    routes: fc.uniqueArray(route, { maxLength: 4, selector: (r) => r.name }),
    defaultRoute: fc.record({ destinations }),
    circuitBreaker: fc.record(
      {
        errorRatePercent: fc.integer({ min: 1, max: 100 }),
        minRequests: fc.integer({ min: 1, max: 1000 }),
        windowMs: fc.integer({ min: LIMITS.MIN_WINDOW_MS, max: 60_000 }),
        openMs: fc.integer({ min: 1, max: 60_000 }),
        halfOpenRequests: fc.integer({ min: 1, max: 100 }),
      },
      { requiredKeys: [] },
    ),
    rateLimit: fc.record(
      {
        requestsPerSecond: fc.double({ min: 0.001, max: 10_000, noNaN: true }),
        burst: fc.integer({ min: 0, max: 1000 }),
      },
      { requiredKeys: ['requestsPerSecond'] },
    ),
    timeoutMs: fc.integer({ min: 1, max: LIMITS.MAX_TIMEOUT_MS }),
    retry: fc.record(
      {
        attempts: fc.integer({ min: 0, max: 10 }),
        on: fc.uniqueArray(fc.constantFrom(...RETRY_CONDITIONS)),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: [] },
);

type Doc = Record<string, unknown> & Policy;
/** A mutation breaks one rule of a valid document and names the path the error must carry. */
type Mutation = (doc: Doc) => string;

const withDefault = (doc: Doc) =>
  (doc.defaultRoute ??= { destinations: [{ subset: {}, weight: 100 }] }).destinations as Array<{
    subset: Record<string, string>;
    weight: number;
  }>;

const mutations: Record<string, Mutation> = {
  unknownRootField: (doc) => {
    doc['colour'] = 'blue';
    return 'colour: unknown field';
  },
  weightsNot100: (doc) => {
    const ds = withDefault(doc);
    ds[0].weight = ds[0].weight === 100 ? 99 : ds[0].weight + 1;
    return 'defaultRoute.destinations: weights must add up to 100';
  },
  consistentHashWithoutHashOn: (doc) => {
    doc.loadBalancer = { strategy: 'consistent_hash' };
    return 'loadBalancer.hashOn: consistent_hash requires hashOn';
  },
  unknownStrategy: (doc) => {
    (doc as Record<string, unknown>).loadBalancer = { strategy: 'fastest' };
    return 'loadBalancer.strategy:';
  },
  duplicateRouteName: (doc) => {
    const r = { name: 'twin', destinations: [{ subset: {}, weight: 100 }] };
    doc.routes = [...(doc.routes ?? []).filter((x) => x.name !== 'twin'), r, { ...r }];
    return `routes[${doc.routes.length - 1}].name: duplicate route name "twin"`;
  },
  tooManyRoutes: (doc) => {
    doc.routes = Array.from({ length: LIMITS.MAX_ROUTES + 1 }, (_, i) => ({
      name: `r${i}`,
      destinations: [{ subset: {}, weight: 100 }],
    }));
    return 'routes: must have at most';
  },
  timeoutOutOfRange: (doc) => {
    doc.timeoutMs = LIMITS.MAX_TIMEOUT_MS + 1;
    return 'timeoutMs: must be at most';
  },
  retryAttempts: (doc) => {
    doc.retry = { ...doc.retry, attempts: 11 };
    return 'retry.attempts: must be at most 10';
  },
  retryCondition: (doc) => {
    (doc as Record<string, unknown>).retry = { on: ['4xx'] };
    return 'retry.on[0]:';
  },
  errorRate: (doc) => {
    doc.circuitBreaker = { ...doc.circuitBreaker, errorRatePercent: 0 };
    return 'circuitBreaker.errorRatePercent: must be at least 1';
  },
  halfOpen: (doc) => {
    doc.circuitBreaker = { ...doc.circuitBreaker, halfOpenRequests: 0 };
    return 'circuitBreaker.halfOpenRequests: must be at least 1';
  },
  rate: (doc) => {
    doc.rateLimit = { requestsPerSecond: 0 };
    return 'rateLimit.requestsPerSecond: must be greater than 0';
  },
  negativeBurst: (doc) => {
    doc.rateLimit = { requestsPerSecond: 1, burst: -1 };
    return 'rateLimit.burst: must be at least 0';
  },
  unknownDestinationField: (doc) => {
    (withDefault(doc)[0] as Record<string, unknown>).priority = 1;
    return 'defaultRoute.destinations[0].priority: unknown field';
  },
  nonStringSubsetValue: (doc) => {
    (withDefault(doc)[0] as Record<string, unknown>).subset = { version: 2 };
    return 'defaultRoute.destinations[0].subset.version:';
  },
};

describe('validatePolicy properties', () => {
  it('accepts every valid document and returns it unchanged', () => {
    fc.assert(
      fc.property(validPolicy, (doc) => {
        expect(validatePolicy(doc)).toEqual({ ok: true, policy: doc });
      }),
      { numRuns: 300, seed: 42 },
    );
  });

  it('refuses any rule-breaking mutation, naming the path and reason', () => {
    fc.assert(
      fc.property(validPolicy, fc.constantFrom(...Object.keys(mutations)), (doc, name) => {
        const copy = structuredClone(doc) as Doc;
        const expected = mutations[name](copy);
        const result = validatePolicy(copy);
        expect(result.ok).toBe(false);
        if (result.ok) return;
        expect(result.errors.some((e) => e.startsWith(expected))).toBe(true);
        // Every error names a path: "<path>: <reason>".
        for (const e of result.errors) expect(e).toMatch(/^[^\s:]+(\[[^\]]+\])*[^\s:]*: \S/);
      }),
      { numRuns: 400, seed: 7 },
    );
  });
});
