import { existsSync } from 'node:fs';
import { freePort, useProcessSet, waitFor } from '@skyroad/testkit';
import { ClientClosedError, RegistryUnavailableError, Skyroad, type Instance } from '../src/index';
import { putPolicy, registryRequest, startPlatform, type Platform } from './support/platform';

const processes = useProcessSet();
let platform: Platform;
const clients: Skyroad[] = [];

async function client(options: Partial<Parameters<typeof Skyroad.connect>[0]> = {}): Promise<Skyroad> {
  const sky = await Skyroad.connect({ registry: platform.url, namespace: 'default', ...options });
  clients.push(sky);
  return sky;
}

beforeAll(async () => {
  platform = await startPlatform(processes);
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
});

const ids = (list: readonly Instance[]) => list.map((i) => i.id).sort();

describe('SDK discovery against a real registry on etcd', () => {
  it('registers, discovers, watches (printing the latency) and deregisters', async () => {
    const provider = await client();
    const consumer = await client();
    expect(await consumer.discover('disc-a')).toEqual([]);
    const seen: Array<{ at: number; ids: string[] }> = [];
    const sub = consumer.watch('disc-a', (list) => seen.push({ at: performance.now(), ids: ids(list) }));

    const started = performance.now();
    const reg = await provider.register({
      service: 'disc-a',
      host: '127.0.0.1',
      port: 9001,
      metadata: { v: '1' },
    });
    await waitFor(() => seen.some((s) => s.ids.includes(reg.id)), {
      what: 'watch callback with the instance',
    });
    const latency = seen.find((s) => s.ids.includes(reg.id))!.at - started;
    console.log(`watch latency (register call -> watch callback): ${latency.toFixed(1)} ms`);

    const found = await consumer.discover('disc-a');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      id: reg.id,
      host: '127.0.0.1',
      port: 9001,
      metadata: { v: '1' },
      healthy: true,
    });
    expect((await consumer.pick('disc-a')).id).toBe(reg.id);

    await reg.deregister();
    await waitFor(() => seen.at(-1)!.ids.length === 0, { what: 'watch callback without the instance' });
    expect(await consumer.discover('disc-a')).toEqual([]);
    sub.close();
  });

  it('removes an instance whose registration was still in flight when close() was called', async () => {
    const sky = await client();
    const registering = sky.register({ service: 'disc-closing', host: '127.0.0.1', port: 9003, ttl: 60 });
    let closeDone = false;
    const closing = sky.close().then(() => (closeDone = true));
    await expect(registering).rejects.toBeInstanceOf(ClientClosedError);
    // It fails only after close() has deregistered it: a caller that exits on the error (as a
    // service's start-up often does) does not cut the deregistration short.
    expect(closeDone).toBe(true);
    await closing;
    // The registry answered the registration (close() waited for it), then got the deregistration:
    // with a TTL of 60 s nothing else takes the instance off the list.
    const listed = await registryRequest(
      platform,
      'GET',
      '/v1/namespaces/default/services/disc-closing/instances',
    );
    expect((listed.body as { instances: Instance[] }).instances).toEqual([]);
  });

  it('keeps an instance past its TTL by heartbeating', async () => {
    const sky = await client();
    const reg = await sky.register({ service: 'disc-ttl', host: '127.0.0.1', port: 9002, ttl: 2 });
    await new Promise((r) => setTimeout(r, 5_000));
    expect(reg.stats.heartbeats).toBeGreaterThanOrEqual(3);
    expect(reg.stats.registrations).toBe(1);
    const listed = await registryRequest(
      platform,
      'GET',
      '/v1/namespaces/default/services/disc-ttl/instances',
    );
    expect(ids((listed.body as { instances: Instance[] }).instances)).toEqual([reg.id]);
  });

  it('registers again when the registry no longer knows the instance (404)', async () => {
    const sky = await client();
    const watcher = await client();
    const reg = await sky.register({ service: 'disc-404', host: '127.0.0.1', port: 9003, ttl: 2 });
    // An operator (or an expired lease) removes it; the next heartbeat gets 404.
    const del = await registryRequest(
      platform,
      'DELETE',
      `/v1/namespaces/default/services/disc-404/instances/${reg.id}`,
    );
    expect(del.status).toBe(204);
    await waitFor(() => reg.stats.registrations >= 2, { timeoutMs: 10_000, what: 're-registration' });
    await waitFor(async () => ids(await watcher.discover('disc-404')).includes(reg.id), {
      what: 'instance back',
    });
  });

  it('applies a policy change pushed on the watch to the next pick', async () => {
    const sky = await client();
    const provider = await client();
    await provider.register({
      service: 'disc-pol',
      host: '127.0.0.1',
      port: 9011,
      metadata: { version: 'v1' },
    });
    await provider.register({
      service: 'disc-pol',
      host: '127.0.0.1',
      port: 9012,
      metadata: { version: 'v2' },
    });
    await waitFor(async () => (await sky.discover('disc-pol')).length === 2, { what: 'both instances' });
    await putPolicy(platform, 'disc-pol', {
      defaultRoute: { destinations: [{ subset: { version: 'v2' }, weight: 100 }] },
    });
    await waitFor(async () => (await sky.policy('disc-pol')).defaultRoute !== undefined, {
      what: 'policy pushed',
    });
    for (let k = 0; k < 20; k++) expect((await sky.pick('disc-pol')).metadata.version).toBe('v2');
  });

  it('fails over to the next registry of the list', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const sky = await client({ registry: [dead, platform.url] });
    const reg = await sky.register({ service: 'disc-fo', host: '127.0.0.1', port: 9021 });
    expect(ids(await sky.discover('disc-fo'))).toEqual([reg.id]);
    await expect(Skyroad.connect({ registry: [dead] })).rejects.toBeInstanceOf(RegistryUnavailableError);
  });

  it('moves its watch to another registry node when one stops, and keeps receiving changes', async () => {
    const second = await platform.startExtraRegistry();
    const watcher = await client({ registry: [second.url, platform.url] });
    const provider = await client({ registry: platform.url });
    const first = await provider.register({ service: 'disc-ha', host: '127.0.0.1', port: 9041 });
    await waitFor(async () => ids(await watcher.discover('disc-ha')).includes(first.id), {
      what: 'seen via node 2',
    });
    const seen: string[][] = [];
    watcher.watch('disc-ha', (list) => seen.push(ids(list)));
    await second.process.stop();
    const started = performance.now();
    const next = await provider.register({ service: 'disc-ha', host: '127.0.0.1', port: 9042 });
    await waitFor(() => seen.some((s) => s.includes(next.id)), { what: 'change seen after failover' });
    console.log(
      `watch failover: change seen ${(performance.now() - started).toFixed(0)} ms after node 2 stopped`,
    );
  });

  it('survives a registry restart: serves from cache and the failover file, then re-registers', async () => {
    const failoverDir = processes.tempDir('sdk-failover-');
    const provider = await client();
    const consumer = await client({ failoverDir });
    const reg = await provider.register({ service: 'disc-rs', host: '127.0.0.1', port: 9031, ttl: 2 });
    await waitFor(async () => ids(await consumer.discover('disc-rs')).includes(reg.id), {
      what: 'discovered',
    });
    await waitFor(() => existsSync(`${failoverDir}/default@@disc-rs.json`), {
      what: 'failover file written',
    });

    await platform.stopRegistry();
    // The cache still answers while the registry is down...
    expect((await consumer.pick('disc-rs')).id).toBe(reg.id);
    // ...and a client starting now gets the failover file.
    const fresh = await client({ failoverDir, discoveryTimeoutMs: 2_000 });
    expect(ids(await fresh.discover('disc-rs'))).toEqual([reg.id]);
    await expect(client({ discoveryTimeoutMs: 500 })).rejects.toBeInstanceOf(RegistryUnavailableError);

    // Down for longer than the TTL: the lease expires in etcd, so the instance must register again.
    await new Promise((r) => setTimeout(r, 4_000));
    await platform.startRegistry();
    await waitFor(() => reg.stats.registrations >= 2, {
      timeoutMs: 15_000,
      what: 're-registration after the restart (the lease expired while the registry was down)',
    });
    const listed = async () =>
      ids(
        (
          (await registryRequest(platform, 'GET', '/v1/namespaces/default/services/disc-rs/instances'))
            .body as {
            instances: Instance[];
          }
        ).instances,
      );
    await waitFor(async () => (await listed()).includes(reg.id), {
      timeoutMs: 15_000,
      what: 'instance registered',
    });
    console.log(
      `after restart: registrations=${reg.stats.registrations} failed heartbeats=${reg.stats.failedHeartbeats}`,
    );
    await waitFor(async () => ids(await fresh.discover('disc-rs')).includes(reg.id), {
      what: 'fresh client on the registry again',
    });
  }, 60_000);
});
