import { useProcessSet, waitFor } from '@skyroad/testkit';
import { join } from 'node:path';
import type { RunningRegistry } from '../src/registry-app';
import { call } from './support/http';
import { startTestRegistry } from './support/registry';
import { SseClient } from './support/sse';
import { startTestStore } from './support/store';

const HEARTBEAT_INTERVAL_MS = 500;
const HEARTBEATS = 8;

describe('instance TTL on store leases', () => {
  let registry: RunningRegistry;
  // Declared before the process set, so it runs first: the registry stops before its store.
  afterAll(async () => {
    await registry?.close();
  });
  const processes = useProcessSet();
  let svc: string;

  beforeAll(async () => {
    const { endpoints } = await startTestStore(processes, 'regttl');
    registry = await startTestRegistry(
      endpoints,
      `sqlite:${join(processes.tempDir('regttl-db-'), 'r.sqlite')}`,
    );
    svc = `${registry.url}/v1/namespaces/default/services/ttl`;
  });

  it('expires an instance that stops heartbeating: it leaves the list, watchers see DELETE, its heartbeat answers 404', async () => {
    const watch = await SseClient.open(`${svc}/watch`);
    try {
      await watch.waitForEvents(1, 'the snapshot');
      const created = await call('POST', `${svc}/instances`, {
        host: '10.9.9.9',
        port: 9,
        id: 'short',
        ttl: 1,
      });
      expect(created.status).toBe(201);
      await waitFor(async () => (await call('GET', `${svc}/instances`)).body.instances.length === 0, {
        what: 'the instance to expire',
        timeoutMs: 10_000,
      });
      const events = await watch.waitForEvents(3, 'PUT and DELETE');
      expect(events.slice(1).map((e) => [e.data.type, e.data.instance.id])).toEqual([
        ['PUT', 'short'],
        ['DELETE', 'short'],
      ]);
      const beat = await call('PUT', `${svc}/instances/short/heartbeat`);
      expect(beat.status).toBe(404);
      // What the SDK then does: register again, and it is back.
      expect(
        (await call('POST', `${svc}/instances`, { host: '10.9.9.9', port: 9, id: 'short', ttl: 1 })).status,
      ).toBe(201);
      expect((await call('GET', `${svc}/instances`)).body.instances.map((i: { id: string }) => i.id)).toEqual(
        ['short'],
      );
    } finally {
      watch.close();
    }
  });

  it('keeps an instance alive for as long as it heartbeats, well past its TTL', async () => {
    await call('POST', `${svc}/instances`, { host: '10.9.9.8', port: 8, id: 'steady', ttl: 2 });
    for (let i = 0; i < HEARTBEATS; i++) {
      await new Promise((resolve) => setTimeout(resolve, HEARTBEAT_INTERVAL_MS));
      const beat = await call('PUT', `${svc}/instances/steady/heartbeat`);
      expect(beat.status).toBe(200);
    }
    const list = await call('GET', `${svc}/instances`);
    expect(list.body.instances.map((i: { id: string }) => i.id)).toContain('steady');
  });

  it('frees the lease of a replaced registration, so the old lease cannot delete the new one', async () => {
    await call('POST', `${svc}/instances`, { host: '10.9.9.7', port: 7, id: 'again', ttl: 1 });
    // Re-registered with a long TTL: the first lease (1 s) must not take the key with it.
    await call('POST', `${svc}/instances`, { host: '10.9.9.7', port: 7, id: 'again', ttl: 60 });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const list = await call('GET', `${svc}/instances`);
    expect(list.body.instances.find((i: { id: string }) => i.id === 'again')).toMatchObject({ ttl: 60 });
  });
});
