import { etcdctl, startEtcdCluster, useProcessSet, waitFor } from '@skyroad/testkit';
import { EtcdRegistryStore, KeySpaceCache, LeaseNotFoundError, type KeyEvent } from '../src';
import { KEEPALIVE_STREAMS } from '../src/store/lease-keeper';

describe('EtcdRegistryStore and KeySpaceCache on real etcd', () => {
  const processes = useProcessSet();
  let endpoints: string[];
  let store: EtcdRegistryStore;
  const observed: string[] = [];

  beforeAll(async () => {
    endpoints = (await startEtcdCluster(processes, { name: 'rcore' })).endpoints;
    store = new EtcdRegistryStore(endpoints, (operation) => observed.push(operation));
  });
  afterAll(async () => {
    await store?.close();
  });

  it('puts only when the mod revision matches, and deletes the same way', async () => {
    const created = await store.compareAndPut('/skyroad/t/a', 'one', 0);
    expect(created.succeeded).toBe(true);
    expect((await store.compareAndPut('/skyroad/t/a', 'dup', 0)).succeeded).toBe(false);
    const kv = await store.get('/skyroad/t/a');
    expect(kv).toMatchObject({ value: 'one', modRevision: created.revision, lease: '0' });
    expect((await store.compareAndPut('/skyroad/t/a', 'two', created.revision)).succeeded).toBe(true);
    expect((await store.compareAndDelete('/skyroad/t/a', created.revision)).succeeded).toBe(false);
    const current = await store.get('/skyroad/t/a');
    expect((await store.compareAndDelete('/skyroad/t/a', current!.modRevision)).succeeded).toBe(true);
    expect(await store.get('/skyroad/t/a')).toBeUndefined();
    expect(observed).toEqual(expect.arrayContaining(['txn_put', 'get', 'txn_delete']));
  });

  it('answers, with a failed compare, the key as the transaction found it', async () => {
    const absent = await store.compareAndPut('/skyroad/t/found', 'x', 12345);
    expect(absent).toMatchObject({ succeeded: false, current: null });
    const lease = await store.grantLease(60);
    const created = await store.compareAndPut('/skyroad/t/found', 'one', 0, lease);
    const refused = await store.compareAndPut('/skyroad/t/found', 'two', 0);
    expect(refused.succeeded).toBe(false);
    expect(refused.current).toEqual({
      key: '/skyroad/t/found',
      value: 'one',
      createRevision: created.revision,
      modRevision: created.revision,
      lease,
    });
    // The retry with what the failed compare answered succeeds, without a read in between.
    expect(
      (await store.compareAndPut('/skyroad/t/found', 'two', refused.current!.modRevision)).succeeded,
    ).toBe(true);
    await store.revokeLease(lease);
  });

  it('keeps a lease alive once per call, reports a gone lease, and refuses writes on it', async () => {
    const lease = await store.grantLease(60);
    expect(await store.keepAliveOnce(lease)).toBe(60);
    await store.compareAndPut('/skyroad/t/leased', 'v', 0, lease);
    expect((await store.get('/skyroad/t/leased'))!.lease).toBe(lease);
    await store.revokeLease(lease);
    expect(await store.get('/skyroad/t/leased')).toBeUndefined();
    expect(await store.keepAliveOnce(lease)).toBeUndefined();
    await expect(store.revokeLease(lease)).resolves.toBeUndefined();
    await expect(store.compareAndPut('/skyroad/t/leased', 'v', 0, lease)).rejects.toBeInstanceOf(
      LeaseNotFoundError,
    );
  });

  it('renews many leases at once over a few streams, each answer going to its own request', async () => {
    const live = await Promise.all([10, 20, 30, 40, 50].map((ttl) => store.grantLease(ttl)));
    const gone = await store.grantLease(60);
    await store.revokeLease(gone);
    const requests = Array.from({ length: 60 }, (_, i) => (i % 6 === 5 ? gone : live[i % 6]));
    const answers = await Promise.all(requests.map((lease) => store.keepAliveOnce(lease)));
    expect(answers).toEqual(requests.map((_, i) => (i % 6 === 5 ? undefined : [10, 20, 30, 40, 50][i % 6])));
    // etcd serves one stream's renewals one at a time: they are spread over KEEPALIVE_STREAMS
    // streams, each opened once (etcd's own count of LeaseKeepAlive streams, every member).
    let opened = 0;
    for (const endpoint of endpoints) {
      const metrics = await (await fetch(`${endpoint}/metrics`)).text();
      const line = metrics
        .split('\n')
        .find((l) => l.startsWith('grpc_server_started_total{') && l.includes('"LeaseKeepAlive"'));
      opened += Number(line?.split(' ').pop() ?? 0);
    }
    expect(opened).toBe(KEEPALIVE_STREAMS);
  });

  it('mirrors the key space, follows every change, and serves changes after a revision from its backlog', async () => {
    await store.compareAndPut('/skyroad/registry/ns/svc/before', 'b', 0);
    const cache = new KeySpaceCache(store, '/skyroad/registry/', 3);
    const seen: KeyEvent[] = [];
    cache.subscribe({ onEvents: (events) => seen.push(...events) });
    await cache.start();
    try {
      expect(cache.state).toBe('synced');
      expect(cache.list('/skyroad/registry/ns/svc/').map((kv) => kv.value)).toEqual(['b']);
      const start = cache.revision;

      // A write made by someone else (etcdctl) shows up too.
      await etcdctl(endpoints, ['put', '/skyroad/registry/ns/svc/x', 'from-etcdctl']);
      const own = await store.compareAndPut('/skyroad/registry/ns/svc/y', 'y', 0);
      cache.noteWrite(own.revision);
      expect(await cache.catchUp(5_000)).toBe(true);
      expect(cache.get('/skyroad/registry/ns/svc/y')?.value).toBe('y');
      await waitFor(() => cache.get('/skyroad/registry/ns/svc/x')?.value === 'from-etcdctl', {
        what: 'the etcdctl write',
      });
      expect(cache.groupsUnder('/skyroad/registry/ns/')).toEqual(['/skyroad/registry/ns/svc/']);
      expect(cache.eventsAfter(start)!.map((e) => e.key)).toEqual([
        '/skyroad/registry/ns/svc/x',
        '/skyroad/registry/ns/svc/y',
      ]);

      // Past its capacity (3 events) the backlog forgets the oldest; a resume before that is refused.
      for (const key of ['p', 'q', 'r']) await store.compareAndPut(`/skyroad/registry/ns/svc/${key}`, key, 0);
      const last = await store.get('/skyroad/registry/ns/svc/r');
      expect(await cache.waitForRevision(last!.modRevision, 5_000)).toBe(true);
      expect(cache.eventsAfter(start)).toBeUndefined();
      expect(cache.eventsAfter(cache.revision)).toEqual([]);
      expect(cache.eventsAfter(cache.revision + 1)).toBeUndefined();
      expect(seen.map((e) => e.key.split('/').pop())).toEqual(['x', 'y', 'p', 'q', 'r']);

      const deleted = await store.compareAndDelete(
        '/skyroad/registry/ns/svc/x',
        (await store.get('/skyroad/registry/ns/svc/x'))!.modRevision,
      );
      await cache.waitForRevision(deleted.revision, 5_000);
      expect(cache.get('/skyroad/registry/ns/svc/x')).toBeUndefined();
      expect(seen[seen.length - 1]).toMatchObject({ type: 'DELETE', prev: { value: 'from-etcdctl' } });
      expect(cache.size).toBe(5);
    } finally {
      await cache.stop();
    }
  });

  it('gives up starting after its deadline when the store does not answer', async () => {
    const nowhere = new EtcdRegistryStore(['http://127.0.0.1:1']);
    const cache = new KeySpaceCache(nowhere);
    try {
      await expect(cache.start(500)).rejects.toThrow();
    } finally {
      await cache.stop();
      await nowhere.close();
    }
  });
});
