import { DEFAULT_CONFIG, InstanceRegistry, type RegistryConfig } from '@skyroad/registry-core';
import { useProcessSet } from '@skyroad/testkit';
import { request } from 'node:http';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRegistry, type RunningRegistry } from '../src/registry-app';
import { call } from './support/http';
import { startTestRegistry } from './support/registry';
import { startTestStore } from './support/store';
import { TEST_ADMIN_PASSWORD } from './support/users';

interface RawAnswer {
  status: number;
  text: string;
  headers: Headers;
}

async function get(url: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

/** A GET whose body is read as sent (fetch would undo a Content-Encoding). */
function rawGet(url: string, headers: Record<string, string>) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>(
    (resolve, reject) => {
      const req = request(url, { headers, timeout: 10_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer in 10 s`)));
      req.on('error', reject);
      req.end();
    },
  );
}

/** The store's view of a prefix at a past revision, through etcd's JSON gateway (same on skyroad-store). */
async function storeAt(endpoint: string, prefix: string, revision: number): Promise<Map<string, number>> {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const end = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
  const response = await fetch(`${endpoint}/v3/kv/range`, {
    method: 'POST',
    body: JSON.stringify({ key: b64(prefix), range_end: b64(end), revision: String(revision) }),
  });
  const body = (await response.json()) as { kvs?: { key: string; mod_revision: string }[] };
  if (!response.ok) throw new Error(`range at ${revision}: ${response.status} ${JSON.stringify(body)}`);
  const ids = new Map<string, number>();
  for (const kv of body.kvs ?? []) {
    const key = Buffer.from(kv.key, 'base64').toString();
    ids.set(key.slice(prefix.length), Number(kv.mod_revision));
  }
  return ids;
}

describe('discovery answers kept serialized: same bytes as a fresh computation, never stale', () => {
  let registry: RunningRegistry;
  afterAll(async () => {
    await registry?.close();
  });
  const processes = useProcessSet();
  let base: string;
  let endpoints: string[];
  let instances: InstanceRegistry;
  const svcUrl = (svc: string) => `${base}/v1/namespaces/default/services/${svc}`;

  beforeAll(async () => {
    ({ endpoints } = await startTestStore(processes, 'regdisc'));
    const dir = processes.tempDir('regdisc-db-');
    registry = await startTestRegistry(endpoints, `sqlite:${join(dir, 'registry.sqlite')}`);
    base = registry.url;
    instances = registry.app.get(InstanceRegistry);
  });

  /** The answer as the registry computes it without anything kept (decode, filter, sort, stringify). */
  const fresh = async (svc: string, healthy: boolean) =>
    JSON.stringify(await instances.list('default', svc, healthy));

  /** GETs both variants and checks each against a fresh computation; answers the plain one. */
  async function expectFresh(svc: string): Promise<RawAnswer> {
    const healthy = await get(`${svcUrl(svc)}/instances?healthy=true`);
    expect(healthy.status).toBe(200);
    expect(healthy.text).toBe(await fresh(svc, true));
    const all = await get(`${svcUrl(svc)}/instances`);
    expect(all.status).toBe(200);
    expect(all.text).toBe(await fresh(svc, false));
    expect(all.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(all.headers.get('etag')).toMatch(/^"\d+-[\w-]+"$/);
    return all;
  }

  it('changes the answer on every register, heartbeat, patch and deregister, and only then', async () => {
    const seen: RawAnswer[] = [await expectFresh('cart')];
    expect(JSON.parse(seen[0].text).instances).toEqual([]);
    const step = async () => {
      const answer = await expectFresh('cart');
      const before = seen[seen.length - 1];
      expect(answer.text).not.toBe(before.text);
      expect(answer.headers.get('etag')).not.toBe(before.headers.get('etag'));
      expect(JSON.parse(answer.text).revision).toBeGreaterThanOrEqual(JSON.parse(before.text).revision);
      seen.push(answer);
      return JSON.parse(answer.text) as { revision: number; instances: Record<string, unknown>[] };
    };

    const a = await call('POST', `${svcUrl('cart')}/instances`, { id: 'b', host: '10.0.0.2', port: 80 });
    expect((await step()).instances.map((i) => i.id)).toEqual(['b']);
    await call('POST', `${svcUrl('cart')}/instances`, { id: 'a', host: '10.0.0.1', port: 80 });
    expect((await step()).instances.map((i) => i.id)).toEqual(['a', 'b']);

    // Asked again with nothing changed: the same bytes and ETag.
    const again = await expectFresh('cart');
    expect(again.text).toBe(seen[seen.length - 1].text);
    expect(again.headers.get('etag')).toBe(seen[seen.length - 1].headers.get('etag'));

    // A heartbeat writes nothing (same revision) but shows a later lastHeartbeatAt.
    await sleep(5); // so that the heartbeat's time (ms) differs from the registration's
    expect((await call('PUT', `${svcUrl('cart')}/instances/b/heartbeat`)).status).toBe(200);
    const beat = await step();
    expect(beat.revision).toBe(JSON.parse(seen[seen.length - 2].text).revision);
    expect(beat.instances[1].lastHeartbeatAt).not.toBe(a.body.lastHeartbeatAt);

    // Disabled: still listed, left out of ?healthy=true.
    expect((await call('PATCH', `${svcUrl('cart')}/instances/a`, { enabled: false })).status).toBe(200);
    expect((await step()).instances.map((i) => [i.id, i.enabled])).toEqual([
      ['a', false],
      ['b', true],
    ]);
    const healthy = JSON.parse((await get(`${svcUrl('cart')}/instances?healthy=true`)).text);
    expect(healthy.instances.map((i: { id: string }) => i.id)).toEqual(['b']);

    expect((await call('PATCH', `${svcUrl('cart')}/instances/a`, { weight: 3, enabled: true })).status).toBe(
      200,
    );
    expect((await step()).instances.map((i) => [i.id, i.weight])).toEqual([
      ['a', 3],
      ['b', 100],
    ]);

    // A write to another service moves the revision of this one's answer too.
    const other = await call('POST', `${svcUrl('elsewhere')}/instances`, { host: '10.0.9.9', port: 80 });
    const moved = await step();
    expect(moved.revision).toBeGreaterThanOrEqual(other.body.revision);
    expect(moved.instances).toEqual(JSON.parse(seen[seen.length - 2].text).instances);

    expect((await call('DELETE', `${svcUrl('cart')}/instances/b`)).status).toBe(204);
    expect((await step()).instances.map((i) => i.id)).toEqual(['a']);
    expect((await call('DELETE', `${svcUrl('cart')}/instances/a`)).status).toBe(204);
    expect((await step()).instances).toEqual([]);
  });

  it('answers 304 to If-None-Match with the current ETag, 200 with the new body once it changed', async () => {
    await call('POST', `${svcUrl('poll')}/instances`, { id: 'p1', host: '10.0.1.1', port: 80 });
    const first = await expectFresh('poll');
    const etag = first.headers.get('etag') as string;

    for (const header of [etag, `W/${etag}`, `"nope", ${etag}`, '*']) {
      const unchanged = await get(`${svcUrl('poll')}/instances`, { 'if-none-match': header });
      expect(unchanged.status).toBe(304);
      expect(unchanged.text).toBe('');
      expect(unchanged.headers.get('etag')).toBe(etag);
    }
    const stale = await get(`${svcUrl('poll')}/instances`, { 'if-none-match': '"1-nope"' });
    expect(stale.status).toBe(200);
    expect(stale.text).toBe(first.text);
    // The healthy variant is another representation: its own ETag once its bytes differ.
    await call('POST', `${svcUrl('poll')}/instances`, { id: 'p0', host: '10.0.1.0', port: 80 });
    await call('PATCH', `${svcUrl('poll')}/instances/p0`, { enabled: false });
    const all = await get(`${svcUrl('poll')}/instances`);
    const healthy = await get(`${svcUrl('poll')}/instances?healthy=true`, {
      'if-none-match': all.headers.get('etag') as string,
    });
    expect(healthy.status).toBe(200);
    expect(healthy.text).toBe(await fresh('poll', true));
    const healthyAgain = await get(`${svcUrl('poll')}/instances?healthy=true`, {
      'if-none-match': healthy.headers.get('etag') as string,
    });
    expect(healthyAgain.status).toBe(304);

    await call('POST', `${svcUrl('poll')}/instances`, { id: 'p2', host: '10.0.1.2', port: 80 });
    const changed = await get(`${svcUrl('poll')}/instances`, {
      'if-none-match': all.headers.get('etag') as string,
    });
    expect(changed.status).toBe(200);
    expect(changed.text).toBe(await fresh('poll', false));
    expect(changed.headers.get('etag')).not.toBe(all.headers.get('etag'));
  });

  it('under concurrent writes, every answer is the store at the revision it names, and revisions never go back', async () => {
    const svc = 'churn';
    const prefix = '/skyroad/registry/default/churn/';
    let stop = false;
    let lastWrite = 0;
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const id = `w${w}-${i % 5}`;
        const op = i % 3;
        if (op === 2) await call('DELETE', `${svcUrl(svc)}/instances/${id}`);
        else {
          const created = await call('POST', `${svcUrl(svc)}/instances`, {
            id,
            host: '10.0.2.1',
            port: 80 + i,
          });
          lastWrite = Math.max(lastWrite, created.body.revision as number);
        }
        if (i % 4 === 0) await call('PATCH', `${svcUrl(svc)}/instances/${id}`, { weight: i });
      }
    };
    const answers: { revision: number; ids: Map<string, number>; atLeast: number }[] = [];
    const reader = async () => {
      let previous = 0;
      while (answers.length < 150) {
        const atLeast = lastWrite;
        const answer = await get(`${svcUrl(svc)}/instances`);
        expect(answer.status).toBe(200);
        const body = JSON.parse(answer.text) as {
          revision: number;
          instances: { id: string; revision: number }[];
        };
        expect(body.revision).toBeGreaterThanOrEqual(previous);
        previous = body.revision;
        answers.push({
          revision: body.revision,
          ids: new Map(body.instances.map((i) => [i.id, i.revision])),
          atLeast,
        });
      }
    };
    const writers = [0, 1, 2].map(writer);
    await Promise.all([reader(), reader()]);
    stop = true;
    await Promise.all(writers);

    for (const answer of answers) {
      // Read-your-writes on one node: a write acknowledged before the GET began is in it.
      expect(answer.revision).toBeGreaterThanOrEqual(answer.atLeast);
      expect(answer.ids).toEqual(await storeAt(endpoints[0], prefix, answer.revision));
    }
    expect(new Set(answers.map((a) => a.revision)).size).toBeGreaterThan(1);
    await expectFresh(svc);
  });

  it('answers the same through the full Express/NestJS pipeline (a URL the fast path leaves to it)', async () => {
    await call('POST', `${svcUrl('full')}/instances`, { id: 'f1', host: '10.0.3.1', port: 80 });
    const fast = await get(`${svcUrl('full')}/instances?healthy=true`);
    // An extra query parameter is not the canonical form: the controller answers it.
    const viaNest = await get(`${svcUrl('full')}/instances?healthy=true&x=1`);
    expect(viaNest.status).toBe(200);
    expect(viaNest.text).toBe(fast.text);
    expect(viaNest.headers.get('etag')).toBe(fast.headers.get('etag'));
    expect(viaNest.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(viaNest.headers.get('x-request-id')).toMatch(/^[\w-]{36}$/);
    const unchanged = await get(`${svcUrl('full')}/instances?healthy=true&x=1`, {
      'if-none-match': fast.headers.get('etag') as string,
    });
    expect(unchanged.status).toBe(304);
  });

  it('gzips answers of 1 KiB or more for clients that accept it, under their own ETag, on both paths', async () => {
    for (let i = 0; i < 12; i++)
      await call('POST', `${svcUrl('zipped')}/instances`, { id: `z${i}`, host: `10.0.4.${i}`, port: 8080 });
    const url = `${svcUrl('zipped')}/instances`;
    const plain = await rawGet(url, { 'accept-encoding': 'identity' });
    expect(plain.status).toBe(200);
    expect(plain.body.length).toBeGreaterThanOrEqual(1024);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['vary']).toBe('Accept-Encoding');
    expect(plain.body.toString()).toBe(await fresh('zipped', false));
    const etag = plain.headers['etag'] as string;

    // Compressed from the second request of a client that takes gzip on: the first goes plain.
    const first = await rawGet(url, { 'accept-encoding': 'gzip' });
    expect(first.headers['content-encoding']).toBeUndefined();
    expect(first.headers['etag']).toBe(etag);
    expect(first.body.equals(plain.body)).toBe(true);

    // What fetch sends; the Nest path (an extra query parameter) answers the same bytes.
    for (const target of [url, `${url}?x=1`]) {
      const zipped = await rawGet(target, { 'accept-encoding': 'gzip, deflate' });
      expect(zipped.status).toBe(200);
      expect(zipped.headers['content-encoding']).toBe('gzip');
      expect(zipped.headers['vary']).toBe('Accept-Encoding');
      expect(Number(zipped.headers['content-length'])).toBe(zipped.body.length);
      expect(zipped.body.length).toBeLessThan(plain.body.length / 2);
      expect(gunzipSync(zipped.body).equals(plain.body)).toBe(true);
      expect(zipped.headers['etag']).toBe(`${etag.slice(0, -1)}-gzip"`);
      const unchanged = await rawGet(target, {
        'accept-encoding': 'gzip',
        'if-none-match': zipped.headers['etag'] as string,
      });
      expect(unchanged.status).toBe(304);
      expect(unchanged.body.length).toBe(0);
    }

    // gzip refused (q=0), or not offered: the plain bytes under the plain ETag.
    for (const acceptEncoding of ['gzip;q=0, identity', 'br', 'identity;q=1, gzip;q=0']) {
      const refused = await rawGet(url, { 'accept-encoding': acceptEncoding });
      expect(refused.headers['content-encoding']).toBeUndefined();
      expect(refused.body.equals(plain.body)).toBe(true);
      expect(refused.headers['etag']).toBe(etag);
    }
    // The plain ETag does not stand for the gzipped bytes.
    const other = await rawGet(url, { 'accept-encoding': 'gzip', 'if-none-match': etag });
    expect(other.status).toBe(200);
    expect(other.headers['content-encoding']).toBe('gzip');

    // A small answer is not worth compressing.
    await call('POST', `${svcUrl('tiny')}/instances`, { id: 't1', host: '10.0.5.1', port: 80 });
    const tiny = await rawGet(`${svcUrl('tiny')}/instances`, { 'accept-encoding': 'gzip' });
    expect(tiny.body.length).toBeLessThan(1024);
    expect(tiny.headers['content-encoding']).toBeUndefined();
    expect(tiny.headers['vary']).toBeUndefined();
  });

  it('keeps the request id, the errors and the metrics of the full pipeline', async () => {
    const given = await get(`${svcUrl('cart')}/instances`, { 'x-request-id': 'disc-trace-1' });
    expect(given.headers.get('x-request-id')).toBe('disc-trace-1');
    expect((await get(`${svcUrl('cart')}/instances`)).headers.get('x-request-id')).toMatch(/^[\w-]{36}$/);

    const unknownNs = await call('GET', `${base}/v1/namespaces/nowhere/services/cart/instances`);
    expect(unknownNs.status).toBe(404);
    expect(unknownNs.body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'namespace "nowhere" does not exist',
      reasons: ['namespace "nowhere" does not exist'],
    });
    const badQuery = await call('GET', `${svcUrl('cart')}/instances?healthy=yes`);
    expect(badQuery.status).toBe(400);
    expect(badQuery.body.statusCode).toBe(400);
    const badName = await call('GET', `${base}/v1/namespaces/default/services/Bad_Name/instances`);
    expect(badName.status).toBe(400);

    const metrics = await fetch(`${base}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(
      /skyroad_registry_http_requests_total\{method="GET",route="\/v1\/namespaces\/:ns\/services\/:svc\/instances",status="200"\} \d+/,
    );
    expect(metrics).toMatch(
      /skyroad_registry_http_requests_total\{method="GET",route="\/v1\/namespaces\/:ns\/services\/:svc\/instances",status="404"\} 1/,
    );
  });
});

describe('discovery answers on a registry that refuses anonymous callers', () => {
  let registry: RunningRegistry;
  afterAll(async () => {
    await registry?.close();
  });
  const processes = useProcessSet();
  let base: string;

  beforeAll(async () => {
    process.env['SKYROAD_ADMIN_PASSWORD'] ??= TEST_ADMIN_PASSWORD;
    const { endpoints } = await startTestStore(processes, 'regdiscauth');
    const dir = processes.tempDir('regdiscauth-db-');
    // Not loopback-only, so anonymous access is off (isLoopbackHost); called over 127.0.0.1.
    const config: RegistryConfig = {
      ...DEFAULT_CONFIG,
      host: '0.0.0.0',
      port: 0,
      storeEndpoints: endpoints,
      databaseUrl: `sqlite:${join(dir, 'registry.sqlite')}`,
    };
    registry = await startRegistry(config, { logLevel: 'silent' });
    base = registry.url.replace('0.0.0.0', '127.0.0.1');
  });

  it('applies the access guard: 401 without or with a bad token, 403 outside a token namespace, 200 within', async () => {
    const url = `${base}/v1/namespaces/default/services/cart/instances`;
    const anonymous = await call('GET', url);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="skyroad"');
    const forged = await call('GET', url, undefined, { authorization: 'Bearer sk_nope' });
    expect(forged.status).toBe(401);

    const login = await call('POST', `${base}/v1/auth/login`, {
      username: 'admin',
      password: process.env['SKYROAD_ADMIN_PASSWORD'],
    });
    expect(login.status).toBe(200);
    const admin = { authorization: `Bearer ${login.body.token}` };
    expect((await call('POST', `${base}/v1/namespaces`, { name: 'shop' }, admin)).status).toBe(201);
    // An API token reads only its own namespace.
    const created = await call(
      'POST',
      `${base}/v1/tokens`,
      { name: 'shop-reader', namespace: 'shop', role: 'service' },
      admin,
    );
    expect(created.status).toBe(201);
    const viewer = { authorization: `Bearer ${created.body.token}` };

    const outside = await call('GET', url, undefined, viewer);
    expect(outside.status).toBe(403);
    expect(outside.body).toMatchObject({ statusCode: 403, error: 'Forbidden' });
    const inside = await call('GET', `${base}/v1/namespaces/shop/services/cart/instances`, undefined, viewer);
    expect(inside.status).toBe(200);
    expect(inside.body).toEqual({
      namespace: 'shop',
      service: 'cart',
      revision: expect.any(Number),
      instances: [],
    });
    expect((await call('GET', url, undefined, admin)).status).toBe(200);
  });
});
