import { isDeepStrictEqual } from 'node:util';
import { SpanKind, trace } from '@opentelemetry/api';
import { useProcessSet, waitFor } from '@skyroad/testkit';
import { seededRandom, type Policy } from '@skyroad/governance';
import { CircuitOpenError, RateLimitedError, Skyroad } from '../src/index';
import { InstanceServer } from './support/instance-server';
import { RecordingTracerProvider } from './support/recording-tracer';
import { putPolicy, startPlatform, type Platform } from './support/platform';

const processes = useProcessSet();
let platform: Platform;
let provider: Skyroad;
const clients: Skyroad[] = [];
const servers: InstanceServer[] = [];

/** Six standard deviations of a binomial count: a correct SDK exceeds it with p < 1e-8. */
const sixSigma = (n: number, p: number) => 6 * Math.sqrt(n * p * (1 - p));

beforeAll(async () => {
  platform = await startPlatform(processes);
  provider = await Skyroad.connect({ registry: platform.url });
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await provider.close();
  await Promise.all(servers.map((s) => s.close()));
});

interface Member {
  readonly name: string;
  readonly metadata?: Record<string, string>;
  readonly weight?: number;
}

/** Real HTTP servers registered as instances of `service`, a policy, and a consumer that sees both. */
async function setup(service: string, members: Member[], policy: Policy, seed = 1) {
  const started = await Promise.all(members.map((m) => InstanceServer.start(m.name)));
  servers.push(...started);
  const byName = Object.fromEntries(started.map((s) => [s.name, s]));
  const idOf: Record<string, string> = {};
  for (const [k, m] of members.entries()) {
    const reg = await provider.register({
      service,
      host: '127.0.0.1',
      port: started[k].port,
      metadata: { name: m.name, ...m.metadata },
      weight: m.weight,
    });
    idOf[m.name] = reg.id;
  }
  await putPolicy(platform, service, policy);
  const sky = await Skyroad.connect({ registry: platform.url, random: seededRandom(seed) });
  clients.push(sky);
  await waitFor(
    async () =>
      (await sky.discover(service)).length === members.length &&
      isDeepStrictEqual(await sky.policy(service), policy),
    { what: `${service}: instances and policy` },
  );
  const pickName = async (options = {}) => (await sky.pick(service, options)).metadata.name;
  const callName = async (options = {}) => (await sky.call(service, '/work', options)).text();
  return { sky, byName, idOf, pickName, callName };
}

function tally(names: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of names) out[n] = (out[n] ?? 0) + 1;
  return out;
}

describe('routing', () => {
  it('routes by header to a subset, and the rest by the default route', async () => {
    const { pickName, callName, byName } = await setup(
      'rt-header',
      [
        { name: 'v1', metadata: { version: 'v1' } },
        { name: 'v2', metadata: { version: 'v2' } },
      ],
      {
        routes: [
          {
            name: 'canary',
            match: { headers: { 'x-canary': '1' } },
            destinations: [{ subset: { version: 'v2' }, weight: 100 }],
          },
        ],
        defaultRoute: { destinations: [{ subset: { version: 'v1' }, weight: 100 }] },
      },
    );
    for (let k = 0; k < 20; k++) {
      expect(await pickName({ headers: { 'X-Canary': '1' } })).toBe('v2');
      expect(await pickName()).toBe('v1');
    }
    expect(await callName({ headers: { 'x-canary': '1' } })).toBe('v2');
    expect(byName.v2.requests.at(-1)!.headers['x-canary']).toBe('1');
  });

  it('splits traffic by destination weight (90/10 within 6 sigma over 4000 picks)', async () => {
    const { pickName } = await setup(
      'rt-weight',
      [
        { name: 'a', metadata: { version: 'v1' } },
        { name: 'b', metadata: { version: 'v2' } },
      ],
      {
        defaultRoute: {
          destinations: [
            { subset: { version: 'v1' }, weight: 90 },
            { subset: { version: 'v2' }, weight: 10 },
          ],
        },
      },
    );
    const n = 4000;
    const names: string[] = [];
    const t0 = performance.now();
    for (let k = 0; k < n; k++) names.push(await pickName());
    const ms = performance.now() - t0;
    console.log(`pick: ${n} picks in ${ms.toFixed(0)} ms (${Math.round((n / ms) * 1000)} picks/s)`);
    const counts = tally(names);
    expect(Math.abs(counts.b - n * 0.1)).toBeLessThanOrEqual(sixSigma(n, 0.1));
    expect(counts.a + counts.b).toBe(n);
  });
});

describe('load balancers', () => {
  it('round_robin takes each instance in turn', async () => {
    const { pickName } = await setup('lb-rr', [{ name: 'x' }, { name: 'y' }, { name: 'z' }], {
      loadBalancer: { strategy: 'round_robin' },
    });
    const names: string[] = [];
    for (let k = 0; k < 30; k++) names.push(await pickName());
    expect(tally(names)).toEqual({ x: 10, y: 10, z: 10 });
    for (let k = 3; k < 30; k++) expect(names[k]).toBe(names[k - 3]);
  });

  it('weighted_round_robin follows instance weights, smoothly', async () => {
    const { pickName } = await setup(
      'lb-wrr',
      [
        { name: 'heavy', weight: 300 },
        { name: 'light', weight: 100 },
      ],
      { loadBalancer: { strategy: 'weighted_round_robin' } },
    );
    const names: string[] = [];
    for (let k = 0; k < 40; k++) names.push(await pickName());
    expect(tally(names)).toEqual({ heavy: 30, light: 10 });
    // Smooth: never more than three heavy picks in a row.
    expect(names.join(',')).not.toContain('heavy,heavy,heavy,heavy');
  });

  it('random spreads evenly (6 sigma)', async () => {
    const { pickName } = await setup('lb-random', [{ name: 'p' }, { name: 'q' }, { name: 'r' }], {
      loadBalancer: { strategy: 'random' },
    });
    const n = 3000;
    const names: string[] = [];
    for (let k = 0; k < n; k++) names.push(await pickName());
    const counts = tally(names);
    for (const name of ['p', 'q', 'r'])
      expect(Math.abs(counts[name] - n / 3)).toBeLessThanOrEqual(sixSigma(n, 1 / 3));
  });

  for (const strategy of ['least_request', 'p2c'] as const) {
    it(`${strategy} sends a call to the instance with fewer calls in flight`, async () => {
      const { sky, byName } = await setup(
        `lb-${strategy.replace('_', '-')}`,
        [{ name: 'm' }, { name: 'n' }],
        {
          loadBalancer: { strategy },
        },
      );
      byName.m.behaviour = 'hang';
      byName.n.behaviour = 'hang';
      const service = `lb-${strategy.replace('_', '-')}`;
      const pending: Promise<Response>[] = [];
      pending.push(sky.call(service, '/slow'));
      await waitFor(() => byName.m.requests.length + byName.n.requests.length === 1, {
        what: 'first call arrived',
      });
      const busy = byName.m.requests.length === 1 ? 'm' : 'n';
      const idle = busy === 'm' ? 'n' : 'm';
      // While the first is in flight, every new pick goes to the idle instance.
      for (let k = 0; k < 10; k++) expect((await sky.pick(service)).metadata.name).toBe(idle);
      pending.push(sky.call(service, '/slow'));
      await waitFor(() => byName[idle].requests.length === 1, { what: 'second call on the idle instance' });
      byName.m.behaviour = 'ok';
      byName.n.behaviour = 'ok';
      byName.m.release();
      byName.n.release();
      expect((await Promise.all(pending)).map((r) => r.status)).toEqual([200, 200]);
    });
  }

  it('consistent_hash keeps a user on one instance and spreads users', async () => {
    const { pickName } = await setup('lb-hash', [{ name: 'h1' }, { name: 'h2' }, { name: 'h3' }], {
      loadBalancer: { strategy: 'consistent_hash', hashOn: 'header:x-user-id' },
    });
    const home: Record<string, string> = {};
    for (let u = 0; u < 60; u++) {
      const headers = { 'x-user-id': `user-${u}` };
      home[u] = await pickName({ headers });
      for (let k = 0; k < 5; k++) expect(await pickName({ headers })).toBe(home[u]);
    }
    expect(new Set(Object.values(home)).size).toBe(3);
  });
});

describe('resilience', () => {
  it('ejects an instance answering 500 and takes it back after the open period', async () => {
    const { sky, byName, callName, idOf } = await setup('cb-eject', [{ name: 'bad' }, { name: 'good' }], {
      circuitBreaker: {
        errorRatePercent: 50,
        minRequests: 3,
        windowMs: 10_000,
        openMs: 1_500,
        halfOpenRequests: 1,
      },
      retry: { attempts: 0 },
    });
    byName.bad.behaviour = 'fail';
    for (let k = 0; k < 6; k++) await callName();
    expect(byName.bad.requests).toHaveLength(3);
    const before = byName.bad.requests.length;
    for (let k = 0; k < 10; k++) expect(await callName()).toBe('good');
    expect(byName.bad.requests.length).toBe(before); // ejected: not even tried
    expect(idOf.bad).toBeDefined();

    byName.bad.behaviour = 'ok';
    await waitFor(async () => (await callName()) === 'bad', {
      timeoutMs: 10_000,
      what: 'instance back after openMs',
    });
    const names: string[] = [];
    for (let k = 0; k < 10; k++) names.push(await callName());
    expect(tally(names)).toEqual({ bad: 5, good: 5 });

    // Every instance failing: the circuits open and the client refuses at once.
    byName.bad.behaviour = 'fail';
    byName.good.behaviour = 'fail';
    await waitFor(
      async () => {
        try {
          await sky.call('cb-eject', '/x');
          return false;
        } catch (error) {
          return error instanceof CircuitOpenError;
        }
      },
      { what: 'CircuitOpenError' },
    );
  });

  it('retries a 5xx, a reset connection and a timeout on another instance', async () => {
    const { byName, callName } = await setup('retry', [{ name: 'flaky' }, { name: 'steady' }], {
      retry: { attempts: 2, on: ['5xx', 'reset', 'timeout'] },
      timeoutMs: 300,
    });
    for (const behaviour of ['fail', 'reset', 'hang'] as const) {
      byName.flaky.behaviour = behaviour;
      const tried = byName.flaky.requests.length;
      for (let k = 0; k < 4; k++) expect(await callName()).toBe('steady');
      expect(byName.flaky.requests.length).toBeGreaterThan(tried); // it was tried, then retried elsewhere
      byName.flaky.release();
    }
  });

  it('does not retry when the policy does not say so', async () => {
    const { sky, byName } = await setup('no-retry', [{ name: 'only' }], { retry: { attempts: 0 } });
    byName.only.behaviour = 'fail';
    expect((await sky.call('no-retry', '/x')).status).toBe(500);
    expect(byName.only.requests).toHaveLength(1);
  });

  it('answers the last 5xx when no other instance is left to retry on', async () => {
    const { sky, byName } = await setup('retry-alone', [{ name: 'alone' }], {
      retry: { attempts: 2, on: ['5xx'] },
    });
    byName.alone.behaviour = 'fail';
    const res = await sky.call('retry-alone', '/x');
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('alone failed');
    expect(byName.alone.requests).toHaveLength(1);
  });

  it('rate-limits calls on the client', async () => {
    const { sky, byName } = await setup('ratelimit', [{ name: 'svc' }], {
      rateLimit: { requestsPerSecond: 0.1, burst: 3 },
    });
    for (let k = 0; k < 3; k++) expect((await sky.call('ratelimit', '/x')).status).toBe(200);
    await expect(sky.call('ratelimit', '/x')).rejects.toBeInstanceOf(RateLimitedError);
    expect(byName.svc.requests).toHaveLength(3);
  });
});

describe('tracing', () => {
  it('sends a W3C traceparent, continuing the incoming trace', async () => {
    const { sky, byName } = await setup('trace', [{ name: 't' }], {});
    await sky.call('trace', '/a');
    const fresh = byName.t.requests[0].headers.traceparent as string;
    expect(fresh).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await sky.call('trace', '/b', { headers: { traceparent: incoming } });
    const sent = byName.t.requests[1].headers.traceparent as string;
    expect(sent.split('-')[1]).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(sent.split('-')[2]).not.toBe('00f067aa0ba902b7');
  });

  it('reports one OpenTelemetry client span per call, whose context is the traceparent sent', async () => {
    const { sky, byName } = await setup('otel', [{ name: 'o1' }, { name: 'o2' }], {
      retry: { attempts: 1, on: ['5xx'] },
    });
    const provider = new RecordingTracerProvider();
    trace.setGlobalTracerProvider(provider);
    try {
      byName.o1.behaviour = 'fail';
      for (let k = 0; k < 2; k++)
        expect((await sky.call('otel', '/pay', { method: 'POST', json: { k } })).status).toBe(200);
      expect(provider.spans).toHaveLength(2);
      for (const span of provider.spans) {
        expect(span.name).toBe('POST otel');
        expect(span.options.kind).toBe(SpanKind.CLIENT);
        expect(span.ended).toBe(true);
        expect(span.attributes['http.response.status_code']).toBe(200);
        expect(span.attributes['skyroad.service']).toBe('otel');
      }
      // The attempt that hit the failing instance and the retry both carried the span's context.
      const sent = [...byName.o1.requests, ...byName.o2.requests].map((r) => r.headers.traceparent as string);
      const { traceId, spanId } = provider.spans[0].spanContext();
      expect(sent).toContain(`00-${traceId}-${spanId}-01`);
      expect(provider.spans.some((s) => s.events.includes('retry'))).toBe(true);
      expect(byName.o2.requests.at(-1)!.body).toBe('{"k":1}');
    } finally {
      trace.disable();
    }
  });
});
