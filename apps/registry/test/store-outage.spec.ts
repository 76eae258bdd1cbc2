import { useProcessSet, waitFor } from '@skyroad/testkit';
import { join } from 'node:path';
import type { RunningRegistry } from '../src/registry-app';
import { call } from './support/http';
import { startTestRegistry } from './support/registry';
import { startTestStore, type TestStore } from './support/store';

describe('when the store is gone', () => {
  let registry: RunningRegistry;
  // Declared before the process set, so it runs first: the registry stops before its store.
  afterAll(async () => {
    await registry?.close();
  });
  const processes = useProcessSet();
  let store: TestStore;

  beforeAll(async () => {
    store = await startTestStore(processes, 'regdown');
    registry = await startTestRegistry(
      store.endpoints,
      `sqlite:${join(processes.tempDir('regdown-db-'), 'r.sqlite')}`,
    );
  });

  it('takes instance writes into its journal (memory, no Redis), answers other writes with 503 (not 500), and says it is degraded', async () => {
    if (!store.kill) return; // an external store is not ours to kill
    const svc = `${registry.url}/v1/namespaces/default/services/down`;
    expect((await call('POST', `${svc}/instances`, { host: 'a', port: 1, id: 'd1' })).status).toBe(201);
    await store.kill();

    const write = await call('POST', `${svc}/instances`, { host: 'a', port: 2 });
    expect(write.status).toBe(201);
    expect((await call('PUT', `${svc}/instances/d1/heartbeat`)).status).toBe(200);
    expect((await call('POST', `${svc}/instances`, { host: 'a', port: 0 })).status).toBe(400);
    // Operator changes and policies need the store.
    const policy = await call('PUT', `${svc}/policy`, { loadBalancer: { strategy: 'random' } });
    expect(policy.status).toBe(503);
    expect(policy.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    const list = await call('GET', `${svc}/instances`);
    expect(list.body.instances.map((i: { id: string }) => i.id).sort()).toEqual(['d1', 'down-a-2']);
    const ready = await waitFor(
      async () => {
        const response = await call('GET', `${registry.url}/ready`);
        return response.body.serving === 'degraded' ? response : undefined;
      },
      { what: '/ready to report the store down' },
    );
    expect(ready.body).toMatchObject({
      ready: true,
      serving: 'degraded',
      store: { reachable: false },
      degraded: { active: true, journal: 'memory', pendingWrites: 2 },
    });
    expect((await call('GET', `${registry.url}/health`)).status).toBe(200);
  });
});
