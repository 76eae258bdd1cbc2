import { z } from 'zod';
import { LIMITS } from './limits';

/** Load-balancing strategies a policy can name. */
export const STRATEGIES = [
  'round_robin',
  'weighted_round_robin',
  'random',
  'least_request',
  'consistent_hash',
  'p2c',
] as const;

/** Conditions under which a call is retried on another instance. */
export const RETRY_CONDITIONS = ['connect-failure', '5xx', 'timeout', 'reset'] as const;

// `hashOn` names what consistent hashing keys on: a request header, a caller metadata entry,
// or the explicit key the caller passes to `pick`.
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
const HASH_ON = /^(header:[A-Za-z0-9!#$%&'*+.^_`|~-]+|metadata:[^\s]+|key)$/;
const ROUTE_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;

const int = (min: number, max: number) =>
  z
    .number({ error: 'must be a number' })
    .int({ error: 'must be an integer' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });

/** A string-to-string map with bounded key count and sizes (headers, metadata, subsets). */
const stringMap = (what: string) =>
  z
    .record(
      z
        .string()
        .min(1, { error: `${what} names must not be empty` })
        .max(LIMITS.MAX_MAP_KEY_CHARS, {
          error: `${what} names must be at most ${LIMITS.MAX_MAP_KEY_CHARS} characters`,
        }),
      z.string({ error: `${what} values must be strings` }).max(LIMITS.MAX_MAP_VALUE_CHARS, {
        error: `${what} values must be at most ${LIMITS.MAX_MAP_VALUE_CHARS} characters`,
      }),
    )
    .refine((m) => Object.keys(m).length <= LIMITS.MAX_MAP_ENTRIES, {
      error: `at most ${LIMITS.MAX_MAP_ENTRIES} entries`,
    });

const headerMap = stringMap('header').refine((m) => Object.keys(m).every((k) => HEADER_NAME.test(k)), {
  error: 'header names must be HTTP tokens',
});

export const strategySchema = z.enum(STRATEGIES, {
  error: `must be one of ${STRATEGIES.join(', ')}`,
});

export const loadBalancerSchema = z
  .strictObject({
    strategy: strategySchema.optional(),
    hashOn: z
      .string({ error: 'must be a string' })
      .max(LIMITS.MAX_MAP_KEY_CHARS + 9, { error: 'is too long' })
      .regex(HASH_ON, { error: 'must be "header:<name>", "metadata:<key>" or "key"' })
      .optional(),
  })
  .superRefine((lb, ctx) => {
    if (lb.strategy === 'consistent_hash' && lb.hashOn === undefined) {
      ctx.addIssue({ code: 'custom', path: ['hashOn'], message: 'consistent_hash requires hashOn' });
    }
  });

export const destinationSchema = z.strictObject({
  subset: stringMap('subset'),
  weight: int(0, 100),
});

const destinationsSchema = z
  .array(destinationSchema, { error: 'must be an array' })
  .min(1, { error: 'must have at least one destination' })
  .max(LIMITS.MAX_DESTINATIONS, { error: `must have at most ${LIMITS.MAX_DESTINATIONS} destinations` })
  .superRefine((ds, ctx) => {
    const total = ds.reduce((sum, d) => sum + d.weight, 0);
    if (total !== 100) ctx.addIssue({ code: 'custom', message: `weights must add up to 100 (got ${total})` });
  });

export const routeMatchSchema = z.strictObject({
  headers: headerMap.optional(),
  callerMetadata: stringMap('callerMetadata').optional(),
});

export const routeSchema = z.strictObject({
  name: z
    .string({ error: 'must be a string' })
    .max(LIMITS.MAX_ROUTE_NAME_CHARS, { error: `must be at most ${LIMITS.MAX_ROUTE_NAME_CHARS} characters` })
    .regex(ROUTE_NAME, {
      error: 'must be letters, digits, ".", "_" or "-", starting and ending alphanumeric',
    }),
  match: routeMatchSchema.optional(),
  destinations: destinationsSchema,
});

export const defaultRouteSchema = z.strictObject({ destinations: destinationsSchema });

export const circuitBreakerSchema = z.strictObject({
  errorRatePercent: z
    .number({ error: 'must be a number' })
    .min(1, { error: 'must be at least 1' })
    .max(100, { error: 'must be at most 100' })
    .optional(),
  minRequests: int(1, LIMITS.MAX_MIN_REQUESTS).optional(),
  windowMs: int(LIMITS.MIN_WINDOW_MS, LIMITS.MAX_WINDOW_MS).optional(),
  openMs: int(1, LIMITS.MAX_OPEN_MS).optional(),
  halfOpenRequests: int(1, LIMITS.MAX_HALF_OPEN_REQUESTS).optional(),
});

export const rateLimitSchema = z.strictObject({
  requestsPerSecond: z
    .number({ error: 'must be a number' })
    .gt(0, { error: 'must be greater than 0' })
    .max(LIMITS.MAX_REQUESTS_PER_SECOND, { error: `must be at most ${LIMITS.MAX_REQUESTS_PER_SECOND}` }),
  burst: int(0, LIMITS.MAX_BURST).optional(),
});

export const retrySchema = z.strictObject({
  attempts: int(0, 10).optional(),
  on: z
    .array(z.enum(RETRY_CONDITIONS, { error: `must be one of ${RETRY_CONDITIONS.join(', ')}` }), {
      error: 'must be an array',
    })
    .max(RETRY_CONDITIONS.length, { error: 'lists a condition twice' })
    .refine((on) => new Set(on).size === on.length, {
      error: 'lists a condition twice',
      when: (payload) => Array.isArray(payload.value),
    })
    .optional(),
});

export const policySchema = z
  .strictObject({
    loadBalancer: loadBalancerSchema.optional(),
    routes: z
      .array(routeSchema, { error: 'must be an array' })
      .max(LIMITS.MAX_ROUTES, { error: `must have at most ${LIMITS.MAX_ROUTES} routes` })
      .optional(),
    defaultRoute: defaultRouteSchema.optional(),
    circuitBreaker: circuitBreakerSchema.optional(),
    rateLimit: rateLimitSchema.optional(),
    timeoutMs: int(1, LIMITS.MAX_TIMEOUT_MS).optional(),
    retry: retrySchema.optional(),
  })
  // Runs even when other parts of the document are invalid, so every reason is reported at once.
  .superRefine(
    (policy, ctx) => {
      const routes: unknown = (policy as { routes?: unknown }).routes;
      if (!Array.isArray(routes)) return;
      const seen = new Map<string, number>();
      routes.forEach((route: unknown, i) => {
        const name = (route as { name?: unknown } | null)?.name;
        if (typeof name !== 'string') return;
        const first = seen.get(name);
        if (first !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['routes', i, 'name'],
            message: `duplicate route name "${name}" (also routes[${first}])`,
          });
        } else {
          seen.set(name, i);
        }
      });
    },
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  );

export type Strategy = z.infer<typeof strategySchema>;
export type RetryCondition = (typeof RETRY_CONDITIONS)[number];
export type LoadBalancerPolicy = z.infer<typeof loadBalancerSchema>;
export type Destination = z.infer<typeof destinationSchema>;
export type RouteMatch = z.infer<typeof routeMatchSchema>;
export type Route = z.infer<typeof routeSchema>;
export type DefaultRoute = z.infer<typeof defaultRouteSchema>;
export type CircuitBreakerPolicy = z.infer<typeof circuitBreakerSchema>;
export type RateLimitPolicy = z.infer<typeof rateLimitSchema>;
export type RetryPolicy = z.infer<typeof retrySchema>;
export type Policy = z.infer<typeof policySchema>;
