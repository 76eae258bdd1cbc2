import { startEtcdCluster, useProcessSet } from '@skyroad/testkit';
import { setTimeout as sleep } from 'node:timers/promises';
import { EtcdRegistryStore, InstanceRegistry, KeySpaceCache, ifNoneMatchHits } from '../src';

/** A small deterministic generator, so a failure names the step that reproduces it. */
function seeded(seed: number): (n: number) => number {
  let state = seed >>> 0;
  return (n) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % n;
  };
}

describe('InstanceListAnswers on real etcd: kept answers against fresh computations', () => {
  const processes = useProcessSet();
  let store: EtcdRegistryStore;
  let cache: KeySpaceCache;
  let registry: InstanceRegistry;

  beforeAll(async () => {
    const { endpoints } = await startEtcdCluster(processes, { name: 'answers' });
    store = new EtcdRegistryStore(endpoints);
    cache = new KeySpaceCache(store);
    await cache.start(10_000);
    registry = new InstanceRegistry(store, cache, { record: async () => undefined });
  });
  afterAll(async () => {
    registry?.close();
    await cache?.stop();
    await store?.close();
  });

  it('gives the bytes of JSON.stringify(list()) after every one of 150 random writes and heartbeats', async () => {
    const services = ['alpha', 'beta', 'gamma'];
    const ids = ['i0', 'i1', 'i2', 'i3', 'i4', 'i5'];
    const random = seeded(20261121);
    const live = new Set<string>();
    const last = new Map<string, { body: string; etag: string; revision: number }>();

    for (let step = 0; step < 150; step++) {
      const svc = services[random(services.length)];
      const id = ids[random(ids.length)];
      const key = `${svc}/${id}`;
      const op = random(5);
      if (op <= 1 || !live.has(key)) {
        await registry.register(
          'default',
          svc,
          {
            id,
            host: `10.0.0.${random(200)}`,
            port: 8000 + random(100),
            ttl: 60,
            weight: random(3) * 50,
            metadata: { zone: `z${random(3)}` },
          },
          'test',
        );
        live.add(key);
      } else if (op === 2) {
        await registry.deregister('default', svc, id, 'test');
        live.delete(key);
      } else if (op === 3) {
        await sleep(2); // a later millisecond than the last heartbeat or registration
        await registry.heartbeat('default', svc, id);
      } else {
        await registry.patch('default', svc, id, { enabled: random(2) === 0, weight: random(100) }, 'test');
      }

      for (const name of services) {
        for (const healthy of [false, true]) {
          const kept = await registry.listSerialized('default', name, healthy);
          const fresh = JSON.stringify(await registry.list('default', name, healthy));
          const context = `step ${step} (${op} on ${key}), ${name}${healthy ? '?healthy=true' : ''}`;
          expect({ context, body: kept.body.toString() }).toEqual({ context, body: fresh });
          expect(kept.revision).toBe(JSON.parse(fresh).revision);
          const before = last.get(`${name}${healthy}`);
          if (before) {
            expect(kept.revision).toBeGreaterThanOrEqual(before.revision);
            // The ETag changes exactly when the bytes do.
            expect(kept.etag === before.etag).toBe(kept.body.toString() === before.body);
          }
          last.set(`${name}${healthy}`, {
            body: kept.body.toString(),
            etag: kept.etag,
            revision: kept.revision,
          });
        }
      }
    }
  });

  it('matches If-None-Match the way RFC 9110 says (weak comparison, lists, *)', () => {
    expect(ifNoneMatchHits(undefined, '"1-a"')).toBe(false);
    expect(ifNoneMatchHits('', '"1-a"')).toBe(false);
    expect(ifNoneMatchHits('"1-a"', '"1-a"')).toBe(true);
    expect(ifNoneMatchHits('W/"1-a"', '"1-a"')).toBe(true);
    expect(ifNoneMatchHits('"0-b" , "1-a"', '"1-a"')).toBe(true);
    expect(ifNoneMatchHits('"1-b"', '"1-a"')).toBe(false);
    expect(ifNoneMatchHits(' * ', '"1-a"')).toBe(true);
  });
});
