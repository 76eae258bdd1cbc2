import { DEFAULT_CONFIG, type RegistryConfig } from '@skyroad/registry-core';
import './support/users';
import { startRedis, useProcessSet, waitFor, type RedisServer } from '@skyroad/testkit';
import Redis from 'ioredis';
import { join } from 'node:path';
import { startRegistry, type RunningRegistry } from '../src/registry-app';
import { call } from './support/http';
import { startTestStore, type TestStore } from './support/store';

/** Sum of a metric's samples (all label sets but those matching `except`) in a Prometheus text answer. */
function metricSum(text: string, name: string, except?: RegExp): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (except?.test(line)) continue;
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.split(' ').pop());
  }
  return sum;
}

describe('multi-level cache: L1 in process, L2 in Redis', () => {
  const registries: RunningRegistry[] = [];
  // Declared before the process set, so it runs first: registries stop before their store.
  afterAll(async () => {
    for (const registry of registries) await registry.close();
  });
  const processes = useProcessSet();
  let store: TestStore;
  let redis: RedisServer;
  const start = async (name: string, extra: Partial<RegistryConfig> = {}) => {
    const config: RegistryConfig = {
      ...DEFAULT_CONFIG,
      port: 0,
      storeEndpoints: store.endpoints,
      redisUrl: redis.url,
      databaseUrl: `sqlite:${join(processes.tempDir(`${name}-db-`), 'r.sqlite')}`,
      ...extra,
    };
    const registry = await startRegistry(config, { logLevel: 'silent' });
    registries.push(registry);
    return registry;
  };

  beforeAll(async () => {
    [store, redis] = await Promise.all([startTestStore(processes, 'regcache'), startRedis(processes)]);
  });

  it('answers discovery and policy reads from L1 without one store call, with the revision they reflect', async () => {
    const registry = await start('l1');
    const svc = `${registry.url}/v1/namespaces/default/services/reads`;
    const created = await call('POST', `${svc}/instances`, { host: '10.0.0.1', port: 80, id: 'r1' });
    expect(created.status).toBe(201);
    expect((await call('PUT', `${svc}/policy`, { loadBalancer: { strategy: 'random' } })).status).toBe(200);
    const storeCalls = async () =>
      metricSum(
        await fetch(`${registry.url}/metrics`).then((r) => r.text()),
        'skyroad_registry_store_request_duration_seconds_count',
        // The health probe (degraded mode's) asks the store's revision twice a second: not a read.
        /operation="status"/,
      );
    const before = await storeCalls();
    let lastRevision = 0;
    for (let i = 0; i < 50; i++) {
      const list = await call('GET', `${svc}/instances`);
      expect(list.status).toBe(200);
      expect(list.body.instances.map((x: { id: string }) => x.id)).toEqual(['r1']);
      // Never older than what this node answered before.
      expect(list.body.revision).toBeGreaterThanOrEqual(Math.max(lastRevision, created.body.revision));
      lastRevision = list.body.revision;
      expect((await call('GET', `${svc}/policy`)).status).toBe(200);
      expect((await call('GET', `${registry.url}/v1/namespaces/default/services`)).status).toBe(200);
      expect((await call('GET', `${registry.url}/v1/namespaces/nowhere/services/x/instances`)).status).toBe(
        404,
      );
    }
    expect(await storeCalls()).toBe(before);
    const metrics = await fetch(`${registry.url}/metrics`).then((r) => r.text());
    expect(metricSum(metrics, 'skyroad_registry_l1_hits_total')).toBeGreaterThanOrEqual(50);
  });

  it('publishes to L2, warms a new node from it, and keeps answering discovery with the store and then Redis gone', async () => {
    const first = await start('l2a');
    const svc = (base: string) => `${base}/v1/namespaces/default/services/warm`;
    for (const port of [1, 2, 3])
      expect(
        (await call('POST', `${svc(first.url)}/instances`, { host: '10.0.0.2', port, id: `w${port}` }))
          .status,
      ).toBe(201);
    // L1 follows the store through its watch and L2 is written a moment later: wait until both
    // hold the three instances before the store goes away.
    await waitFor(
      async () => (await call('GET', `${svc(first.url)}/instances`)).body.instances.length === 3,
      { what: 'the first node to list the three instances' },
    );
    const inspector = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await waitFor(
        async () => {
          const keys = await inspector.keys('*g:{*warm*');
          if (keys.length !== 1) return false;
          const kvs = await inspector.hget(keys[0], 'kvs');
          return kvs !== null && (JSON.parse(kvs) as unknown[]).length === 3;
        },
        { what: 'the L2 copy of the service to hold the three instances' },
      );
    } finally {
      inspector.disconnect();
    }
    // This node published too: its copy was written, or refused because another node (the one
    // from the test above, on the same store) had already written the same revision.
    const firstMetrics = await fetch(`${first.url}/metrics`).then((r) => r.text());
    expect(
      metricSum(firstMetrics, 'skyroad_registry_l2_writes_total') +
        metricSum(firstMetrics, 'skyroad_registry_l2_stale_writes_refused_total'),
    ).toBeGreaterThan(0);
    expect((await call('GET', `${first.url}/ready`)).body.cache.l2).toEqual({
      configured: true,
      state: 'up',
    });

    if (!store.kill) return; // an external store is not ours to kill
    await store.kill();
    // The node that had it keeps answering from L1.
    const stale = await call('GET', `${svc(first.url)}/instances`);
    expect(stale.status).toBe(200);
    expect(stale.body.instances).toHaveLength(3);

    // A node starting now cannot read the store: it answers from the L2 copy.
    const started = Date.now();
    const second = await start('l2b');
    process.stdout.write(`a node started warm from L2 in ${Date.now() - started} ms with the store down\n`);
    const warm = await call('GET', `${svc(second.url)}/instances`);
    expect(warm.status).toBe(200);
    expect(warm.body.instances.map((i: { id: string }) => i.id)).toEqual(['w1', 'w2', 'w3']);
    expect(warm.body.revision).toBe(stale.body.revision);
    const ready = await call('GET', `${second.url}/ready`);
    expect(ready.body).toMatchObject({
      serving: 'degraded',
      cache: { l1: { state: 'warm' }, l2: { state: 'up' } },
    });

    // Redis goes too: L1 still answers, L2 is skipped (counted), never an error to the client.
    await redis.process.kill('SIGKILL');
    await waitFor(async () => (await call('GET', `${second.url}/ready`)).body.cache.l2.state === 'down', {
      what: 'the registry to see Redis down',
    });
    for (const registry of [first, second]) {
      const list = await call('GET', `${svc(registry.url)}/instances?healthy=true`);
      expect(list.status).toBe(200);
      expect(list.body.instances).toHaveLength(3);
      // A service L1 does not hold is looked up in L2 while the store is away; L2 is down: empty, not an error.
      const unknown = await call('GET', `${registry.url}/v1/namespaces/default/services/unknown/instances`);
      expect(unknown.status).toBe(200);
      expect(unknown.body.instances).toEqual([]);
    }
    const metrics = await fetch(`${second.url}/metrics`).then((r) => r.text());
    expect(metricSum(metrics, 'skyroad_registry_l2_errors_total')).toBeGreaterThan(0);
    expect(metricSum(metrics, 'skyroad_registry_l1_misses_total')).toBeGreaterThan(0);
  });
});
