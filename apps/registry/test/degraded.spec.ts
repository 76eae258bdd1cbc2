import './support/users';
import { DEFAULT_CONFIG, type RegistryConfig } from '@skyroad/registry-core';
import {
  etcdctl,
  startEtcdCluster,
  startRedis,
  useProcessSet,
  waitFor,
  type EtcdCluster,
  type RedisServer,
} from '@skyroad/testkit';
import { join } from 'node:path';
import { startRegistry, type RunningRegistry } from '../src/registry-app';
import { call } from './support/http';

const TTL_SECONDS = 3;
const HEARTBEAT_EVERY_MS = 400;
const DISCOVERY_EVERY_MS = 50;

describe('degraded mode: the store gone, the registry keeps serving', () => {
  let registry: RunningRegistry;
  // Declared before the process set, so it runs first: the registry stops before its store.
  afterAll(async () => {
    await registry?.close();
  });
  const processes = useProcessSet();
  let cluster: EtcdCluster;
  let redis: RedisServer;

  beforeAll(async () => {
    [cluster, redis] = await Promise.all([
      startEtcdCluster(processes, { name: 'degraded' }),
      startRedis(processes),
    ]);
    const config: RegistryConfig = {
      ...DEFAULT_CONFIG,
      port: 0,
      storeEndpoints: cluster.endpoints,
      redisUrl: redis.url,
      failoverAfterMs: 1_000,
      databaseUrl: `sqlite:${join(processes.tempDir('degraded-db-'), 'r.sqlite')}`,
    };
    registry = await startRegistry(config, { logLevel: 'silent' });
  });

  it('answers discovery, journals writes (Redis, then memory), expires by TTL without mass expiry, and replays', async () => {
    const svc = `${registry.url}/v1/namespaces/default/services/deg`;
    const ids = Array.from({ length: 10 }, (_, i) => `i${i}`);
    for (const [n, id] of ids.entries())
      expect(
        (await call('POST', `${svc}/instances`, { host: '10.1.0.1', port: 1000 + n, id, ttl: TTL_SECONDS }))
          .status,
      ).toBe(201);

    // Discovery traffic for the whole test: it must never fail nor come back empty.
    let discoveryCalls = 0;
    const discoveryFailures: string[] = [];
    let discovering = true;
    const discovery = (async () => {
      while (discovering) {
        const list = await call('GET', `${svc}/instances`).catch((e: Error) => ({
          status: 0,
          body: e.message,
        }));
        discoveryCalls++;
        if (list.status !== 200 || list.body.instances.length === 0)
          discoveryFailures.push(`${list.status} ${JSON.stringify(list.body).slice(0, 200)}`);
        await new Promise((r) => setTimeout(r, DISCOVERY_EVERY_MS));
      }
    })();
    // Heartbeats of the instances that are alive; `silent` ones stop.
    const silent = new Set<string>();
    const heartbeatFailures: string[] = [];
    let beating = true;
    const heartbeats = (async () => {
      while (beating) {
        for (const id of ids) {
          if (silent.has(id) || id === 'i0') continue;
          const beat = await call('PUT', `${svc}/instances/${id}/heartbeat`).catch((e: Error) => ({
            status: 0,
            body: e.message,
          }));
          if (beat.status !== 200) heartbeatFailures.push(`${id}: ${beat.status}`);
        }
        await new Promise((r) => setTimeout(r, HEARTBEAT_EVERY_MS));
      }
    })();

    const store = cluster.members[0].process;
    let paused = false;
    try {
      store.pause();
      paused = true;
      const lostAt = Date.now();
      await waitFor(async () => (await call('GET', `${registry.url}/ready`)).body.serving === 'degraded', {
        what: 'degraded mode',
        timeoutMs: 15_000,
      });
      process.stdout.write(`degraded mode ${Date.now() - lostAt} ms after the store stopped answering\n`);

      const registered = await call('POST', `${svc}/instances`, {
        host: '10.1.0.2',
        port: 1,
        id: 'n1',
        ttl: 30,
      });
      expect(registered.status).toBe(201);
      expect(registered.body).toMatchObject({ id: 'n1', healthy: true });
      expect((await call('DELETE', `${svc}/instances/i0`)).status).toBe(204);
      expect((await call('DELETE', `${svc}/instances/nobody`)).status).toBe(404);
      let ready = await call('GET', `${registry.url}/ready`);
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({
        ready: true,
        serving: 'degraded',
        store: { reachable: false },
        degraded: { active: true, journal: 'redis' },
      });
      let ids2 = (await call('GET', `${svc}/instances`)).body.instances.map((i: { id: string }) => i.id);
      expect(ids2).toContain('n1');
      expect(ids2).not.toContain('i0');

      // One instance of ten stops heartbeating: the registry expires it by its TTL itself.
      silent.add('i9');
      await waitFor(
        async () => {
          const list = await call('GET', `${svc}/instances?healthy=true`);
          return !list.body.instances.some((i: { id: string }) => i.id === 'i9');
        },
        { what: 'i9 to expire', timeoutMs: 15_000 },
      );
      expect((await call('PUT', `${svc}/instances/i9/heartbeat`)).status).toBe(404);
      const all = await call('GET', `${svc}/instances`);
      expect(all.body.instances.find((i: { id: string }) => i.id === 'i9')).toMatchObject({ healthy: false });

      // Redis goes too: writes are kept in memory, and /ready says so.
      await redis.process.kill('SIGKILL');
      await waitFor(async () => (await call('GET', `${registry.url}/ready`)).body.cache.l2.state === 'down', {
        what: 'Redis down',
      });
      expect(
        (await call('POST', `${svc}/instances`, { host: '10.1.0.2', port: 2, id: 'n2', ttl: 30 })).status,
      ).toBe(201);
      ready = await call('GET', `${registry.url}/ready`);
      expect(ready.body.degraded).toMatchObject({ active: true, journal: 'memory' });

      // Everybody stops heartbeating: that is the outage, not the instances; nobody is expired.
      for (const id of ids) silent.add(id);
      await waitFor(
        async () => (await call('GET', `${registry.url}/ready`)).body.degraded.selfPreservation === true,
        {
          what: 'self-preservation',
          timeoutMs: 15_000,
        },
      );
      const preserved = await call('GET', `${svc}/instances?healthy=true`);
      expect(preserved.body.instances.length).toBeGreaterThanOrEqual(10);

      // The store is back: the journal is replayed and the registry serves from it again.
      const backAt = Date.now();
      store.resume();
      paused = false;
      await waitFor(async () => (await call('GET', `${registry.url}/ready`)).body.serving === 'primary', {
        what: 'the registry back on its store',
        timeoutMs: 20_000,
      });
      process.stdout.write(`serving from the store again ${Date.now() - backAt} ms after it came back\n`);
      const { stdout } = await etcdctl(cluster.endpoints, [
        'get',
        '--prefix',
        '--keys-only',
        '/skyroad/registry/default/deg/',
      ]);
      const stored = stdout
        .split('\n')
        .filter(Boolean)
        .map((k) => k.split('/').pop());
      expect(stored).toEqual(expect.arrayContaining(['n1', 'n2']));
      expect(stored).not.toContain('i0');
      const metrics = await fetch(`${registry.url}/metrics`).then((r) => r.text());
      expect(metrics).toMatch(/skyroad_registry_replayed_writes_total [1-9]/);
      ids2 = (await call('GET', `${svc}/instances`)).body.instances.map((i: { id: string }) => i.id);
      expect(ids2).toEqual(expect.arrayContaining(['n1', 'n2']));
      expect(ids2).not.toContain('i0');
    } finally {
      if (paused) store.resume();
      discovering = false;
      beating = false;
      await Promise.all([discovery, heartbeats]);
    }
    process.stdout.write(`discovery: ${discoveryCalls} calls, ${discoveryFailures.length} failed or empty\n`);
    expect(discoveryFailures).toEqual([]);
    expect(heartbeatFailures.filter((f) => !f.startsWith('i9'))).toEqual([]);
  });
});
