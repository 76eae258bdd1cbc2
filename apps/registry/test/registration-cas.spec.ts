import { EtcdRegistryStore } from '@skyroad/registry-core';
import { useProcessSet } from '@skyroad/testkit';
import { join } from 'node:path';
import type { RunningRegistry } from '../src/registry-app';
import { call } from './support/http';
import { startTestRegistry } from './support/registry';
import { startTestStore } from './support/store';

/**
 * A registration writes without reading the key first: it compares against L1's copy, and when
 * that copy is stale the failed compare answers what the store holds. Either way the key ends up
 * with the new registration's lease, and the lease of the registration it replaced is revoked.
 */
describe('registration over a key L1 may not have seen yet', () => {
  let registry: RunningRegistry;
  // Declared before the process set, so it runs first: the registry stops before its store.
  afterAll(async () => {
    await registry?.close();
    await direct?.close();
  });
  const processes = useProcessSet();
  let direct: EtcdRegistryStore;
  let base: string;
  const key = (id: string) => `/skyroad/registry/default/cas/${id}`;

  beforeAll(async () => {
    const { endpoints } = await startTestStore(processes, 'regcas');
    registry = await startTestRegistry(
      endpoints,
      `sqlite:${join(processes.tempDir('regcas-db-'), 'registry.sqlite')}`,
    );
    base = registry.url;
    direct = new EtcdRegistryStore(endpoints);
  });

  it('replaces a key written a moment ago by another writer and revokes that writer’s lease', async () => {
    for (let round = 0; round < 5; round++) {
      const id = `other-${round}`;
      const theirs = await direct.grantLease(60);
      const stored = JSON.stringify({
        id,
        namespace: 'default',
        service: 'cas',
        host: 'h',
        port: 1,
        ttl: 60,
      });
      expect((await direct.compareAndPut(key(id), stored, 0, theirs)).succeeded).toBe(true);
      // At once: the registry's L1 may or may not show the key yet.
      const created = await call('POST', `${base}/v1/namespaces/default/services/cas/instances`, {
        host: '10.4.0.1',
        port: 80,
        id,
      });
      expect(created.status).toBe(201);
      const now = await direct.get(key(id));
      expect(now).toMatchObject({ modRevision: created.body.revision });
      expect(now!.lease).not.toBe(theirs);
      expect(JSON.parse(now!.value)).toMatchObject({ host: '10.4.0.1', port: 80 });
      expect(await direct.keepAliveOnce(theirs)).toBeUndefined();
      expect(await direct.keepAliveOnce(now!.lease)).toBe(10);
    }
  });

  it('replaces its own earlier registration and revokes the earlier lease', async () => {
    const path = `${base}/v1/namespaces/default/services/cas/instances`;
    const first = await call('POST', path, { host: '10.4.0.2', port: 80, id: 'mine' });
    const firstLease = (await direct.get(key('mine')))!.lease;
    const second = await call('POST', path, { host: '10.4.0.2', port: 80, id: 'mine', weight: 5 });
    expect([first.status, second.status]).toEqual([201, 201]);
    const now = await direct.get(key('mine'));
    expect(now!.lease).not.toBe(firstLease);
    expect(JSON.parse(now!.value)).toMatchObject({ weight: 5 });
    expect(await direct.keepAliveOnce(firstLease)).toBeUndefined();
  });
});
