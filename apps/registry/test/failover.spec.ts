import './support/users';
import { DEFAULT_CONFIG, type RegistryConfig } from '@skyroad/registry-core';
import { etcdctl, startRedis, useProcessSet, waitFor } from '@skyroad/testkit';
import { join } from 'node:path';
import { startRegistry, type RunningRegistry } from '../src/registry-app';
import { call } from './support/http';
import { SseClient } from './support/sse';
import { startTestStore, type TestStore } from './support/store';

const FAILOVER_AFTER_MS = 2_000;
const DISCOVERY_EVERY_MS = 50;
const HEARTBEAT_EVERY_MS = 1_000;
/** The brief's bound: registrations are stored on the standby within this long after the primary dies. */
const STANDBY_ACCEPTS_WITHIN_MS = 15_000;

async function keysIn(endpoints: string[], prefix: string): Promise<string[]> {
  const { stdout } = await etcdctl(endpoints, ['get', '--prefix', '--keys-only', prefix]);
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((k) => k.split('/').pop() as string)
    .sort();
}

describe('standby cluster: mirror, failover, degraded on both lost, failback', () => {
  let registry: RunningRegistry;
  /** A second registry node: it must not mirror at the same time, and must follow every switch. */
  let other: RunningRegistry;
  // Declared before the process set, so it runs first: the registries stop before their stores.
  afterAll(async () => {
    await registry?.close();
    await other?.close();
  });
  const processes = useProcessSet();
  let primary: TestStore;
  let standby: TestStore;

  beforeAll(async () => {
    let redisUrl: string;
    [primary, standby, { url: redisUrl }] = await Promise.all([
      startTestStore(processes, 'fo-primary'),
      startTestStore(processes, 'fo-standby'),
      startRedis(processes),
    ]);
    // External stores (SKYROAD_TEST_REGISTRY_STORE=external) are one cluster, not ours to kill.
    if (!primary.kill) return;
    const config: RegistryConfig = {
      ...DEFAULT_CONFIG,
      port: 0,
      storeEndpoints: primary.endpoints,
      standbyStoreEndpoints: standby.endpoints,
      redisUrl,
      failoverAfterMs: FAILOVER_AFTER_MS,
      databaseUrl: `sqlite:${join(processes.tempDir('fo-db-'), 'r.sqlite')}`,
    };
    registry = await startRegistry(config, { logLevel: 'silent' });
    other = await startRegistry(
      { ...config, databaseUrl: `sqlite:${join(processes.tempDir('fo-db2-'), 'r.sqlite')}` },
      { logLevel: 'silent' },
    );
  });

  it('kill -9 the primary under traffic, then the standby, then bring the primary back: no discovery fails, no write is lost', async () => {
    if (!primary.kill || !primary.restart || !standby.kill) return; // external stores are not ours to kill
    const svc = `${registry.url}/v1/namespaces/default/services/fo`;
    const prefix = '/skyroad/registry/default/fo/';
    const ready = async (base = registry.url) => (await call('GET', `${base}/ready`)).body;
    for (const n of [0, 1, 2, 3, 4])
      expect(
        (await call('POST', `${svc}/instances`, { host: '10.2.0.1', port: 100 + n, id: `p${n}`, ttl: 10 }))
          .status,
      ).toBe(201);
    expect((await call('PUT', `${svc}/policy`, { loadBalancer: { strategy: 'random' } })).status).toBe(200);

    // The mirror copies the primary to the standby, with a checkpoint there.
    await waitFor(async () => (await keysIn(standby.endpoints, prefix)).length === 5, {
      what: 'the mirror to copy the instances',
      timeoutMs: 15_000,
    });
    // One node mirrors, the other follows.
    const mirrorBase = await waitFor(
      async () => {
        const states = await Promise.all(
          [registry.url, other.url].map(async (b) => (await ready(b)).standby.mirror.state),
        );
        const leaders = [registry.url, other.url].filter((_, i) => states[i] === 'mirroring');
        return leaders.length === 1 && states.includes('follower') ? leaders[0] : undefined;
      },
      { what: 'one mirror leader and one follower', timeoutMs: 15_000 },
    );
    await waitFor(async () => (await ready(mirrorBase)).standby.mirror.lagRevisions === 0, {
      what: 'no mirror lag',
    });
    const mirrored = await ready(mirrorBase);
    expect(mirrored).toMatchObject({
      serving: 'primary',
      standby: { failover: 'on', mirror: { state: 'mirroring' } },
    });
    const { stdout: checkpoint } = await etcdctl(standby.endpoints, [
      'get',
      '--print-value-only',
      '/skyroad/meta/mirror/checkpoint',
    ]);
    expect(Number(checkpoint.trim())).toBe(mirrored.standby.mirror.checkpoint);

    // Discovery traffic and heartbeats for the whole test.
    let discoveryCalls = 0;
    const discoveryFailures: string[] = [];
    const heartbeatErrors: string[] = [];
    let running = true;
    const alive = new Set(['p0', 'p1', 'p2', 'p3', 'p4']);
    const discovery = (async () => {
      while (running) {
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
    const heartbeats = (async () => {
      while (running) {
        for (const id of [...alive]) {
          const beat = await call('PUT', `${svc}/instances/${id}/heartbeat`).catch((e: Error) => ({
            status: 0,
            body: e.message,
          }));
          if (beat.status >= 500 || beat.status === 0) heartbeatErrors.push(`${id}: ${beat.status}`);
        }
        await new Promise((r) => setTimeout(r, HEARTBEAT_EVERY_MS));
      }
    })();

    // A watch stream opened now must go on through the switches, without the client reconnecting.
    const watch = await SseClient.open(`${svc}/watch`);
    await watch.waitForEvents(1, 'the snapshot');
    const watched = (id: string) =>
      watch.events.some((e) => e.event === 'instance' && e.data.instance.id === id && e.data.type === 'PUT');
    try {
      // 1. The primary dies.
      await primary.kill();
      const killedAt = Date.now();
      const f1 = await call('POST', `${svc}/instances`, { host: '10.2.0.2', port: 1, id: 'f1', ttl: 30 });
      expect(f1.status).toBe(201);
      await waitFor(async () => (await keysIn(standby.endpoints, prefix)).includes('f1'), {
        what: 'the registration stored on the standby',
        timeoutMs: STANDBY_ACCEPTS_WITHIN_MS,
        intervalMs: 100,
      });
      const storedOnStandbyMs = Date.now() - killedAt;
      await waitFor(async () => (await ready()).serving === 'standby', { what: 'serving from the standby' });
      const servingStandbyMs = Date.now() - killedAt;
      await waitFor(async () => (await ready(other.url)).serving === 'standby', {
        what: 'the other node on the standby',
      });
      process.stdout.write(
        `failover: registration stored on the standby ${storedOnStandbyMs} ms after kill -9 of the primary; ` +
          `/ready serving "standby" after ${servingStandbyMs} ms (--failover-after-ms ${FAILOVER_AFTER_MS})\n`,
      );
      expect(storedOnStandbyMs).toBeLessThan(STANDBY_ACCEPTS_WITHIN_MS);
      // On the standby: new registrations and deregistrations go there, instances keep theirs.
      expect(
        (await call('POST', `${svc}/instances`, { host: '10.2.0.2', port: 2, id: 'f2', ttl: 30 })).status,
      ).toBe(201);
      alive.delete('p4');
      expect((await call('DELETE', `${svc}/instances/p4`)).status).toBe(204);
      expect(await keysIn(standby.endpoints, prefix)).toEqual(['f1', 'f2', 'p0', 'p1', 'p2', 'p3']);
      await waitFor(() => watched('f2'), { what: 'the watch stream to show f2, registered on the standby' });
      expect(watch.closedByServer).toBe(false);
      // Mirrored instances got leases on the standby: their heartbeats keep them.
      const { stdout: leased } = await etcdctl(standby.endpoints, ['get', `${prefix}p0`, '-w', 'json']);
      expect(JSON.parse(leased).kvs[0].lease).toBeGreaterThan(0);

      // 2. The standby dies too: degraded mode.
      await standby.kill();
      await waitFor(async () => (await ready()).serving === 'degraded', {
        what: 'degraded mode',
        timeoutMs: 15_000,
      });
      expect(
        (await call('POST', `${svc}/instances`, { host: '10.2.0.3', port: 1, id: 'd1', ttl: 30 })).status,
      ).toBe(201);
      alive.delete('p3');
      expect((await call('DELETE', `${svc}/instances/p3`)).status).toBe(204);
      const degradedList = await call('GET', `${svc}/instances`);
      expect(degradedList.body.instances.map((i: { id: string }) => i.id)).toEqual([
        'd1',
        'f1',
        'f2',
        'p0',
        'p1',
        'p2',
      ]);

      // 3. The primary comes back: the registry returns to it with every write made meanwhile.
      await primary.restart();
      const backAt = Date.now();
      await waitFor(async () => (await ready()).serving === 'primary', {
        what: 'serving from the primary again',
        timeoutMs: 30_000,
      });
      await waitFor(
        async () =>
          JSON.stringify(await keysIn(primary.endpoints, prefix)) ===
          JSON.stringify(['d1', 'f1', 'f2', 'p0', 'p1', 'p2']),
        { what: 'every write made meanwhile in the primary', timeoutMs: 15_000 },
      );
      process.stdout.write(
        `failback: serving from the primary ${Date.now() - backAt} ms after it came back\n`,
      );
      const back = await ready();
      expect(back.standby.status).toMatchObject({ serving: 'primary' });
      await waitFor(async () => (await ready(other.url)).serving === 'primary', {
        what: 'the other node back on the primary',
      });
      // The other node answers the same instances (from its own cache).
      await waitFor(
        async () => {
          const list = await call('GET', `${other.url}/v1/namespaces/default/services/fo/instances`);
          const ids = list.body.instances.map((i: { id: string }) => i.id);
          return JSON.stringify(ids) === JSON.stringify(['d1', 'f1', 'f2', 'p0', 'p1', 'p2']);
        },
        { what: 'the other node to show every write' },
      );
      const metrics = await fetch(`${registry.url}/metrics`).then((r) => r.text());
      expect(metrics).toMatch(/skyroad_registry_failovers_total 1/);
      expect(metrics).toMatch(/skyroad_registry_failbacks_total 1/);
      // Still registered and heartbeating on the primary.
      await new Promise((r) => setTimeout(r, HEARTBEAT_EVERY_MS * 2));
      const final = await call('GET', `${svc}/instances`);
      expect(final.body.instances.map((i: { id: string }) => i.id)).toEqual([
        'd1',
        'f1',
        'f2',
        'p0',
        'p1',
        'p2',
      ]);
      await waitFor(() => watched('d1'), { what: 'the watch stream to show d1' });
      expect(watch.closedByServer).toBe(false);
    } finally {
      watch.close();
      running = false;
      await Promise.all([discovery, heartbeats]);
    }
    process.stdout.write(`discovery: ${discoveryCalls} calls, ${discoveryFailures.length} failed or empty\n`);
    expect(discoveryFailures).toEqual([]);
    expect(heartbeatErrors).toEqual([]);
  });
});
