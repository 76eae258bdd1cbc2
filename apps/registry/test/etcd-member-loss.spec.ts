import { startEtcdCluster, useProcessSet, waitFor } from '@skyroad/testkit';
import { join } from 'node:path';
import type { RunningRegistry } from '../src/registry-app';
import { call } from './support/http';
import { startTestRegistry } from './support/registry';
import { SseClient } from './support/sse';

// Member loss is a property of a 3-member cluster, which this suite starts itself (real etcd);
// jest.config.js runs it in the etcd pass only.
describe('on a 3-member etcd cluster that loses a member', () => {
  let registry: RunningRegistry;
  // Declared before the process set, so it runs first: the registry stops before its store.
  afterAll(async () => {
    await registry?.close();
  });
  const processes = useProcessSet();

  it('keeps registering, listing and streaming changes through the surviving members', async () => {
    const cluster = await startEtcdCluster(processes, { size: 3, name: 'regloss' });
    registry = await startTestRegistry(
      cluster.endpoints,
      `sqlite:${join(processes.tempDir('regloss-db-'), 'r.sqlite')}`,
    );
    const svc = `${registry.url}/v1/namespaces/default/services/resilient`;
    expect(
      (await call('POST', `${svc}/instances`, { host: 'a', port: 1, id: 'before', ttl: 30 })).status,
    ).toBe(201);
    const watch = await SseClient.open(`${svc}/watch`);
    try {
      await watch.waitForEvents(1, 'the snapshot');
      await cluster.members[0].process.kill('SIGKILL');

      // Writes retry until the client has moved to a live member (and, if needed, a new leader is elected).
      const created = await waitFor(
        async () => {
          const response = await call('POST', `${svc}/instances`, {
            host: 'a',
            port: 2,
            id: 'after',
            ttl: 30,
          });
          return response.status === 201 ? response : undefined;
        },
        { what: 'a registration after the member loss', timeoutMs: 20_000, intervalMs: 250 },
      );
      const events = await watch.waitForEvents(2, 'the change made after the loss');
      expect(events[events.length - 1]).toMatchObject({ event: 'instance', data: { type: 'PUT' } });
      expect(events[events.length - 1].data.instance.id).toBe('after');
      const list = await call('GET', `${svc}/instances`);
      expect(list.body.instances.map((i: { id: string }) => i.id)).toEqual(['after', 'before']);
      expect(list.body.revision).toBeGreaterThanOrEqual(created.body.revision);
      const beat = await call('PUT', `${svc}/instances/before/heartbeat`);
      expect(beat.body).toMatchObject({ id: 'before' });
    } finally {
      watch.close();
    }
  });
});
