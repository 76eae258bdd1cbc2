import { useProcessSet } from '@skyroad/testkit';
import { join } from 'node:path';
import type { RunningRegistry } from '../src/registry-app';
import { call } from './support/http';
import { startTestRegistry } from './support/registry';
import { bearerForNewEditor } from './support/users';
import { startTestStore } from './support/store';

describe('registry HTTP API: instances, services, namespaces, errors, operations', () => {
  let registry: RunningRegistry;
  // Declared before the process set, so it runs first: the registry stops before its store.
  afterAll(async () => {
    await registry?.close();
  });
  const processes = useProcessSet();
  let base: string;
  const svcUrl = (svc: string, ns = 'default') => `${base}/v1/namespaces/${ns}/services/${svc}`;

  beforeAll(async () => {
    const { endpoints } = await startTestStore(processes, 'regapi');
    const dir = processes.tempDir('regapi-db-');
    registry = await startTestRegistry(endpoints, `sqlite:${join(dir, 'registry.sqlite')}`);
    base = registry.url;
  });

  it('registers with defaults, lists with the revision, and replaces on re-registration of the same endpoint', async () => {
    const created = await call('POST', `${svcUrl('orders')}/instances`, { host: '10.0.0.5', port: 8080 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: 'orders-10.0.0.5-8080',
      namespace: 'default',
      service: 'orders',
      host: '10.0.0.5',
      port: 8080,
      weight: 100,
      enabled: true,
      healthy: true,
      metadata: {},
      ttl: 10,
    });
    expect(created.body.revision).toBeGreaterThan(0);

    const again = await call('POST', `${svcUrl('orders')}/instances`, {
      host: '10.0.0.5',
      port: 8080,
      weight: 7,
    });
    expect(again.status).toBe(201);
    expect(again.body.revision).toBeGreaterThan(created.body.revision);

    const list = await call('GET', `${svcUrl('orders')}/instances`);
    expect(list.status).toBe(200);
    expect(list.body.namespace).toBe('default');
    expect(list.body.service).toBe('orders');
    expect(list.body.revision).toBeGreaterThanOrEqual(again.body.revision);
    expect(list.body.instances).toHaveLength(1);
    expect(list.body.instances[0]).toMatchObject({
      id: 'orders-10.0.0.5-8080',
      weight: 7,
      revision: again.body.revision,
    });
  });

  it('keeps explicit id, weight, metadata and ttl', async () => {
    const body = {
      host: 'pay-1.internal',
      port: 9000,
      id: 'pay-a',
      weight: 250,
      metadata: { version: 'v2' },
      ttl: 30,
    };
    const created = await call('POST', `${svcUrl('payments')}/instances`, body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject(body);
  });

  it('answers a heartbeat without writing the key, and shows the fresher lastHeartbeatAt', async () => {
    const created = await call('POST', `${svcUrl('hb')}/instances`, {
      host: '127.0.0.1',
      port: 1,
      id: 'hb-1',
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const beat = await call('PUT', `${svcUrl('hb')}/instances/hb-1/heartbeat`);
    expect(beat.status).toBe(200);
    expect(beat.body).toEqual({ id: 'hb-1', ttl: 10, revision: created.body.revision });
    const list = await call('GET', `${svcUrl('hb')}/instances`);
    const instance = list.body.instances[0];
    expect(instance.revision).toBe(created.body.revision);
    expect(instance.lastHeartbeatAt > instance.registeredAt).toBe(true);
  });

  it('costs the store one lease keep-alive per heartbeat: no read, no write', async () => {
    await call('POST', `${svcUrl('cheap')}/instances`, { host: '127.0.0.1', port: 2, id: 'cheap-1' });
    const storeCalls = async () => {
      const text = await fetch(`${base}/metrics`).then((r) => r.text());
      const counts: Record<string, number> = {};
      for (const match of text.matchAll(
        /skyroad_registry_store_request_duration_seconds_count\{operation="(\w+)",outcome="ok"\} (\d+)/g,
      )) {
        counts[match[1]] = Number(match[2]);
      }
      return counts;
    };
    const before = await storeCalls();
    for (let i = 0; i < 5; i++)
      expect((await call('PUT', `${svcUrl('cheap')}/instances/cheap-1/heartbeat`)).status).toBe(200);
    const after = await storeCalls();
    // /metrics itself asks nothing of the store; /ready is not called here. 'status' (a
    // count-only revision read) is left out: the availability probes run it on their own clock.
    const changed = Object.keys(after).filter((op) => op !== 'status' && after[op] !== (before[op] ?? 0));
    expect(changed).toEqual(['lease_keepalive']);
    expect(after['lease_keepalive'] - (before['lease_keepalive'] ?? 0)).toBe(5);
  });

  it('answers 404 to a heartbeat, patch or delete of an unknown instance', async () => {
    for (const [method, path] of [
      ['PUT', '/instances/nobody/heartbeat'],
      ['PATCH', '/instances/nobody'],
      ['DELETE', '/instances/nobody'],
    ] as const) {
      const response = await call(
        method,
        `${svcUrl('ghost')}${path}`,
        method === 'PATCH' ? { weight: 1 } : undefined,
      );
      expect(response.status).toBe(404);
      expect(response.body.statusCode).toBe(404);
      expect(response.body.reasons.length).toBeGreaterThan(0);
    }
  });

  it('applies operator changes; ?healthy=true and service counts leave out disabled instances', async () => {
    await call('POST', `${svcUrl('cart')}/instances`, { host: '10.0.1.1', port: 80, id: 'cart-1' });
    await call('POST', `${svcUrl('cart')}/instances`, { host: '10.0.1.2', port: 80, id: 'cart-2' });
    const patched = await call('PATCH', `${svcUrl('cart')}/instances/cart-2`, {
      enabled: false,
      weight: 0,
      metadata: { zone: 'bj-b' },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      id: 'cart-2',
      enabled: false,
      weight: 0,
      metadata: { zone: 'bj-b' },
    });

    const all = await call('GET', `${svcUrl('cart')}/instances`);
    expect(all.body.instances.map((i: { id: string }) => i.id)).toEqual(['cart-1', 'cart-2']);
    const healthy = await call('GET', `${svcUrl('cart')}/instances?healthy=true`);
    expect(healthy.body.instances.map((i: { id: string }) => i.id)).toEqual(['cart-1']);

    const services = await call('GET', `${base}/v1/namespaces/default/services`);
    expect(services.status).toBe(200);
    expect(services.body.services).toContainEqual({ name: 'cart', instances: 2, healthy: 1 });
    expect(services.body.revision).toBeGreaterThanOrEqual(patched.body.revision);
  });

  it('deregisters: 204, then 404, then the list is empty; an unknown service lists empty', async () => {
    await call('POST', `${svcUrl('gone')}/instances`, { host: '10.0.2.1', port: 81, id: 'g1' });
    expect((await call('DELETE', `${svcUrl('gone')}/instances/g1`)).status).toBe(204);
    expect((await call('DELETE', `${svcUrl('gone')}/instances/g1`)).status).toBe(404);
    const list = await call('GET', `${svcUrl('gone')}/instances`);
    expect(list.body.instances).toEqual([]);
    const unknown = await call('GET', `${svcUrl('never-registered')}/instances`);
    expect(unknown.status).toBe(200);
    expect(unknown.body.instances).toEqual([]);
  });

  it('has the default namespace, creates others once, and refuses unknown ones', async () => {
    const initial = await call('GET', `${base}/v1/namespaces`);
    expect(initial.body.namespaces).toContain('default');
    expect((await call('POST', `${svcUrl('x', 'staging')}/instances`, { host: 'a', port: 1 })).status).toBe(
      404,
    );
    expect((await call('GET', `${base}/v1/namespaces/staging/services`)).status).toBe(404);

    const created = await call('POST', `${base}/v1/namespaces`, { name: 'staging' });
    expect(created.status).toBe(201);
    expect(created.body.name).toBe('staging');
    expect((await call('POST', `${base}/v1/namespaces`, { name: 'staging' })).status).toBe(409);
    expect((await call('POST', `${base}/v1/namespaces`, { name: 'default' })).status).toBe(409);
    expect((await call('POST', `${base}/v1/namespaces`, { name: 'Bad/Name' })).status).toBe(400);

    const registered = await call('POST', `${svcUrl('x', 'staging')}/instances`, { host: 'a', port: 1 });
    expect(registered.status).toBe(201);
    expect((await call('GET', `${base}/v1/namespaces`)).body.namespaces).toEqual(
      expect.arrayContaining(['default', 'staging']),
    );
    // Namespaces do not see each other's services.
    const defaultServices = await call('GET', `${base}/v1/namespaces/default/services`);
    expect(defaultServices.body.services.map((s: { name: string }) => s.name)).not.toContain('x');
  });

  it('lists every reason of a bad registration and changes nothing', async () => {
    const response = await call('POST', `${svcUrl('bad')}/instances`, {
      host: 'not a host!',
      port: 70000,
      ttl: 0,
      weight: 10001,
      metadata: { n: 5 },
      extra: true,
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    const fields = response.body.reasons.map((r: string) => r.split(':')[0]);
    expect(fields).toEqual(expect.arrayContaining(['host', 'port', 'ttl', 'weight', 'metadata.n', 'body']));
    expect((await call('GET', `${svcUrl('bad')}/instances`)).body.instances).toEqual([]);

    const manyKeys = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']));
    const tooMany = await call('POST', `${svcUrl('bad')}/instances`, {
      host: 'a',
      port: 1,
      metadata: manyKeys,
    });
    expect(tooMany.status).toBe(400);
    const tooBig = await call('POST', `${svcUrl('bad')}/instances`, {
      host: 'a',
      port: 1,
      metadata: { blob: 'x'.repeat(5000) },
    });
    expect(tooBig.status).toBe(400);
    expect((await call('POST', `${svcUrl('bad')}/instances`, {})).body.reasons).toEqual(
      expect.arrayContaining([expect.stringMatching(/^host:/), expect.stringMatching(/^port:/)]),
    );
    expect((await call('PATCH', `${svcUrl('bad')}/instances/x`, {})).status).toBe(400);
  });

  it('refuses names that could leave their key prefix', async () => {
    for (const path of [
      `${base}/v1/namespaces/default/services/..%2Fgovernance/instances`,
      `${base}/v1/namespaces/default/services/Orders/instances`,
      `${base}/v1/namespaces/default/services/${'a'.repeat(64)}/instances`,
      `${base}/v1/namespaces/..%2F..%2Fmeta/services/x/instances`,
    ]) {
      const response = await call('POST', path, { host: 'a', port: 1 });
      expect(response.status).toBe(400);
    }
    const badId = await call('POST', `${svcUrl('names')}/instances`, { host: 'a', port: 1, id: '../x' });
    expect(badId.status).toBe(400);
    expect(badId.body.reasons[0]).toMatch(/^id:/);
    const badPathId = await call('PUT', `${svcUrl('names')}/instances/a%2Fb/heartbeat`);
    expect(badPathId.status).toBe(400);
  });

  it('answers malformed, non-object and oversized bodies with 4xx, never 5xx', async () => {
    const malformed = await call('POST', `${svcUrl('m')}/instances`, '{"host": ');
    expect(malformed.status).toBe(400);
    expect(malformed.body.message).toMatch(/not valid JSON/);
    expect((await call('POST', `${svcUrl('m')}/instances`, '"just a string"')).status).toBe(400);
    expect((await call('POST', `${svcUrl('m')}/instances`, '[1,2]')).status).toBe(400);
    expect(
      (await call('POST', `${svcUrl('m')}/instances`, 'host=a', { 'content-type': 'text/plain' })).status,
    ).toBe(400);
    const oversized = await call(
      'POST',
      `${svcUrl('m')}/instances`,
      JSON.stringify({ host: 'a'.repeat(1024 * 1024) }),
    );
    expect(oversized.status).toBe(413);
    expect(oversized.body.statusCode).toBe(413);
    expect((await call('GET', `${svcUrl('m')}/instances?healthy=maybe`)).status).toBe(400);
    const unknownRoute = await call('GET', `${base}/v1/nothing-here`);
    expect(unknownRoute.status).toBe(404);
    expect(unknownRoute.body.statusCode).toBe(404);
  });

  it('records who wrote what in the audit table', async () => {
    await call(
      'POST',
      `${svcUrl('audited')}/instances`,
      { host: 'a', port: 2, id: 'au-1' },
      await bearerForNewEditor(base, 'alice'),
    );
    await call('PATCH', `${svcUrl('audited')}/instances/au-1`, { weight: 3 });
    const audit = await call('GET', `${base}/v1/audit?namespace=default&service=audited`);
    expect(audit.status).toBe(200);
    const events = audit.body.events as { actor: string; action: string; target: string }[];
    expect(events.map((e) => [e.action, e.actor, e.target])).toEqual([
      ['instance.patch', 'anonymous', 'au-1'],
      ['instance.register', 'alice', 'au-1'],
    ]);
    expect((await call('GET', `${base}/v1/audit?limit=0`)).status).toBe(400);
  });

  it('serves /health, /ready, /metrics, /openapi.json and /docs', async () => {
    expect((await call('GET', `${base}/health`)).body).toEqual({ status: 'ok' });
    const ready = await call('GET', `${base}/ready`);
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({
      ready: true,
      serving: 'primary',
      store: { reachable: true },
      standby: { configured: false, failover: 'off' },
      cache: { l1: { state: 'synced' }, l2: { configured: false, state: 'off' } },
      database: { reachable: true, kind: 'sqlite' },
    });

    const metrics = await fetch(`${base}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(
      /skyroad_registry_http_requests_total\{method="POST",route="\/v1\/namespaces\/:ns\/services\/:svc\/instances",status="201"\} \d+/,
    );
    expect(metrics).toMatch(/skyroad_registry_http_request_duration_seconds_bucket/);
    expect(metrics).toMatch(/skyroad_registry_instances \d+/);
    expect(metrics).toMatch(/skyroad_registry_watchers 0/);
    expect(metrics).toMatch(
      /skyroad_registry_store_request_duration_seconds_count\{operation="txn_put",outcome="ok"\}/,
    );

    const openapi = await call('GET', `${base}/openapi.json`);
    expect(openapi.status).toBe(200);
    expect(Object.keys(openapi.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/namespaces/{ns}/services/{svc}/instances',
        '/v1/namespaces/{ns}/services/{svc}/watch',
        '/v1/namespaces/{ns}/services/{svc}/policy',
      ]),
    );
    const docs = await fetch(`${base}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toMatch(/swagger/i);
  });

  it('gives every answer a request id, keeping a sane one from the caller', async () => {
    const given = await call('GET', `${base}/health`, undefined, { 'x-request-id': 'trace-123' });
    expect(given.headers.get('x-request-id')).toBe('trace-123');
    const fresh = await call('GET', `${base}/health`);
    expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
