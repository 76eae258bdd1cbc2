import { etcdctl, useProcessSet } from '@skyroad/testkit';
import { join } from 'node:path';
import type { RunningRegistry } from '../src/registry-app';
import { call } from './support/http';
import { startTestRegistry } from './support/registry';
import { SseClient } from './support/sse';
import { startTestStore } from './support/store';

describe('watch (Server-Sent Events): snapshot, ordered changes, resume', () => {
  let registry: RunningRegistry;
  // Declared before the process set, so it runs first: the registry stops before its store.
  afterAll(async () => {
    await registry?.close();
  });
  const processes = useProcessSet();
  let base: string;
  const clients: SseClient[] = [];
  const svcUrl = (svc: string) => `${base}/v1/namespaces/default/services/${svc}`;
  const open = async (url: string, headers?: Record<string, string>) => {
    const client = await SseClient.open(url, headers);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    const { endpoints } = await startTestStore(processes, 'regwatch');
    // History from before the registry started is not in its backlog: resuming from there takes a snapshot.
    await etcdctl(endpoints, ['put', '/skyroad/meta/test/before-start', 'x']);
    registry = await startTestRegistry(
      endpoints,
      `sqlite:${join(processes.tempDir('regwatch-db-'), 'r.sqlite')}`,
    );
    base = registry.url;
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });

  it('starts with a snapshot, then streams every change of the service in revision order', async () => {
    const first = await call('POST', `${svcUrl('shop')}/instances`, { host: '10.0.0.1', port: 80, id: 's1' });
    const watch = await open(`${svcUrl('shop')}/watch`);
    expect(watch.status).toBe(200);
    expect(watch.contentType).toMatch(/^text\/event-stream/);
    const [snapshot] = await watch.waitForEvents(1, 'the snapshot');
    expect(snapshot.event).toBe('snapshot');
    expect(snapshot.data.policy).toBeNull();
    expect(snapshot.data.instances.map((i: { id: string }) => i.id)).toEqual(['s1']);
    expect(snapshot.data.revision).toBeGreaterThanOrEqual(first.body.revision);
    expect(snapshot.id).toBe(String(snapshot.data.revision));

    await call('POST', `${svcUrl('shop')}/instances`, { host: '10.0.0.2', port: 80, id: 's2' });
    await call('POST', `${svcUrl('other')}/instances`, { host: '10.0.0.3', port: 80, id: 'o1' });
    await call('PATCH', `${svcUrl('shop')}/instances/s2`, { weight: 5 });
    await call('PUT', `${svcUrl('shop')}/policy`, { loadBalancer: { strategy: 'random' } });
    await call('DELETE', `${svcUrl('shop')}/instances/s1`);

    const events = (await watch.waitForEvents(5, 'four changes')).slice(1);
    // The instance of another service is not part of this stream.
    expect(events.map((e) => [e.event, e.data.type, e.data.instance?.id])).toEqual([
      ['instance', 'PUT', 's2'],
      ['instance', 'PUT', 's2'],
      ['policy', undefined, undefined],
      ['instance', 'DELETE', 's1'],
    ]);
    expect(events[1].data.instance.weight).toBe(5);
    expect(events[2].data.policy.policy).toEqual({ loadBalancer: { strategy: 'random' } });
    // DELETE carries the last known instance.
    expect(events[3].data.instance).toMatchObject({ id: 's1', host: '10.0.0.1' });
    const revisions = [snapshot, ...events].map((e) => Number(e.id));
    expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
    expect(new Set(revisions).size).toBe(revisions.length);
    for (const e of events) expect(e.data.revision).toBe(Number(e.id));
  });

  it('resumes from ?revision= and from Last-Event-ID with the changes after it, without a snapshot', async () => {
    const watch = await open(`${svcUrl('resume')}/watch`);
    const [snapshot] = await watch.waitForEvents(1);
    await call('POST', `${svcUrl('resume')}/instances`, { host: 'a', port: 1, id: 'r1' });
    const [, seen] = await watch.waitForEvents(2);
    watch.close();
    // Changes made while nobody watched.
    await call('POST', `${svcUrl('resume')}/instances`, { host: 'a', port: 2, id: 'r2' });
    await call('DELETE', `${svcUrl('resume')}/instances/r1`);

    const byQuery = await open(`${svcUrl('resume')}/watch?revision=${seen.id}`);
    const missed = await byQuery.waitForEvents(2);
    expect(missed.map((e) => [e.event, e.data.type, e.data.instance.id])).toEqual([
      ['instance', 'PUT', 'r2'],
      ['instance', 'DELETE', 'r1'],
    ]);
    const byHeader = await open(`${svcUrl('resume')}/watch`, { 'last-event-id': String(snapshot.id) });
    const all = await byHeader.waitForEvents(3);
    expect(all.map((e) => e.data.instance.id)).toEqual(['r1', 'r2', 'r1']);
    expect(all.every((e) => e.event === 'instance')).toBe(true);
    // Live changes keep coming after the replay.
    await call('POST', `${svcUrl('resume')}/instances`, { host: 'a', port: 3, id: 'r3' });
    expect((await byHeader.waitForEvents(4))[3].data.instance.id).toBe('r3');
  });

  it('sends a fresh snapshot when the revision cannot be served from history', async () => {
    await call('POST', `${svcUrl('old')}/instances`, { host: 'a', port: 1, id: 'x1' });
    for (const revision of ['0', '999999999']) {
      const watch = await open(`${svcUrl('old')}/watch?revision=${revision}`);
      const [first] = await watch.waitForEvents(1);
      expect(first.event).toBe('snapshot');
      expect(first.data.instances.map((i: { id: string }) => i.id)).toEqual(['x1']);
    }
  });

  it('refuses a bad revision and an unknown namespace before streaming', async () => {
    expect((await call('GET', `${svcUrl('old')}/watch?revision=abc`)).status).toBe(400);
    expect((await call('GET', `${svcUrl('old')}/watch`, undefined, { 'last-event-id': '-1' })).status).toBe(
      400,
    );
    expect((await call('GET', `${base}/v1/namespaces/nowhere/services/x/watch`)).status).toBe(404);
  });

  it('counts open streams in /metrics', async () => {
    const watch = await open(`${svcUrl('counted')}/watch`);
    await watch.waitForEvents(1);
    expect(await fetch(`${base}/metrics`).then((r) => r.text())).toMatch(/skyroad_registry_watchers 1/);
  });
});
