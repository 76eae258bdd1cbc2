// The optimised pick path must choose exactly what the pre-issue-10 code chose: same seeds,
// same policies, same requests -> same instance, route and destination, pick after pick.
import {
  PolicyRouter,
  seededRandom,
  STRATEGIES,
  type Policy,
  type RequestContext,
} from '@skyroad/governance';
import { PolicyRouter as BaselinePolicyRouter } from '../src/baseline/policy-router';

interface Inst {
  id: string;
  weight: number;
  metadata: Record<string, string>;
}

const VERSIONS = ['v1', 'v2', 'v3'];
const ZONES = ['a', 'b'];
const HEADER_NAMES = ['x-canary', 'X-Canary', 'x-user', 'X-USER', 'accept'];

function scenario(seed: number) {
  const rnd = seededRandom(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const one = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const subset = (): Record<string, string> => {
    const s: Record<string, string> = {};
    if (rnd() < 0.8) s.version = one([...VERSIONS, 'v9']);
    if (rnd() < 0.3) s.zone = one(ZONES);
    return s;
  };
  const destinations = () => {
    const n = 1 + int(3);
    const weights = Array.from({ length: n }, () => (rnd() < 0.15 ? 0 : 1 + int(100)));
    return weights.map((weight) => ({ subset: subset(), weight }));
  };
  const policy: Policy = {
    loadBalancer: {
      strategy: STRATEGIES[seed % STRATEGIES.length],
      hashOn: one(['key', 'header:X-User', 'metadata:team', 'header:x-missing']),
    },
    routes: Array.from({ length: int(4) }, (_, r) => ({
      name: `r${r}`,
      match: {
        ...(rnd() < 0.7 ? { headers: { [one(HEADER_NAMES)]: one(['1', '2']) } } : {}),
        ...(rnd() < 0.5 ? { callerMetadata: { team: one(['qa', 'ops']) } } : {}),
      },
      destinations: destinations(),
    })),
    ...(rnd() < 0.8 ? { defaultRoute: { destinations: destinations() } } : {}),
  } as Policy;
  // Ids are unique within a list (the registry keys instances by id), but lists differ.
  const fleet = (): Inst[] =>
    Array.from({ length: int(12) }, (_, i) => ({
      id: `i${i + int(3) * 12}`,
      weight: rnd() < 0.1 ? 0 : 1 + int(300),
      metadata: { version: one(VERSIONS), zone: one(ZONES) },
    }));
  const context = (): RequestContext => {
    const headers: Record<string, string | undefined> = {};
    for (let h = int(4); h > 0; h--)
      headers[one(HEADER_NAMES)] = rnd() < 0.1 ? undefined : one(['1', '2', 'u7', 'u8']);
    return {
      headers,
      ...(rnd() < 0.6 ? { callerMetadata: { team: one(['qa', 'ops', 'web']) } } : {}),
      ...(rnd() < 0.7 ? { hashKey: `k${int(50)}` } : {}),
    };
  };
  return { rnd, int, policy, fleet, context };
}

describe('optimised pick = baseline pick', () => {
  it('chooses the same instance, route and destination over 400 random policies', () => {
    for (let seed = 1; seed <= 400; seed++) {
      const { rnd, int, policy, fleet, context } = scenario(seed);
      const now = new PolicyRouter(policy, { random: seededRandom(seed * 7) });
      const before = new BaselinePolicyRouter(policy, { random: seededRandom(seed * 7) });
      const inFlight = new Map<string, number>();
      const lookup = (id: string): number => inFlight.get(id) ?? 0;
      let instances = fleet();
      for (let k = 0; k < 200; k++) {
        if (rnd() < 0.05) instances = fleet();
        if (rnd() < 0.3) inFlight.set(`i${int(36)}`, int(3));
        const ctx = context();
        const a = now.pick(instances, ctx, { inFlight: lookup });
        const b = before.pick(instances, ctx, { inFlight: lookup });
        const describe = (p: typeof a) =>
          p && { id: p.instance.id, route: p.route, destination: p.destination };
        if (JSON.stringify(describe(a)) !== JSON.stringify(describe(b)))
          throw new Error(
            `seed ${seed}, pick ${k}: ${JSON.stringify(describe(a))} != ${JSON.stringify(describe(b))}`,
          );
        expect(a?.instance).toBe(b?.instance);
        expect(now.hashKey(ctx)).toBe(before.hashKey(ctx));
      }
    }
  });
});
