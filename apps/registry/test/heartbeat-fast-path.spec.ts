import { useProcessSet } from '@skyroad/testkit';
import { join } from 'node:path';
import type { RunningRegistry } from '../src/registry-app';
import { call } from './support/http';
import { startTestRegistry } from './support/registry';
import { startTestStore } from './support/store';

const ROUTE = '/v1/namespaces/:ns/services/:svc/instances/:id/heartbeat';

/** The counter of answered heartbeats with `status`, from /metrics. */
async function heartbeatsCounted(base: string, status: number): Promise<number> {
  const text = await fetch(`${base}/metrics`).then((r) => r.text());
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.startsWith('skyroad_registry_http_requests_total{') &&
        l.includes('method="PUT"') &&
        l.includes(`route="${ROUTE}"`) &&
        l.includes(`status="${status}"`),
    );
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/**
 * A plain heartbeat (no body, canonical path) is answered before the Express/Nest pipeline;
 * anything else goes through it. Both ways must look the same to a caller and to /metrics.
 */
describe('heartbeats answered outside the Express pipeline', () => {
  let registry: RunningRegistry;
  // Declared before the process set, so it runs first: the registry stops before its store.
  afterAll(async () => {
    await registry?.close();
  });
  const processes = useProcessSet();
  let base: string;
  const instancesOf = (svc: string) => `${base}/v1/namespaces/default/services/${svc}/instances`;

  beforeAll(async () => {
    const { endpoints } = await startTestStore(processes, 'reghbfast');
    const dir = processes.tempDir('reghbfast-db-');
    registry = await startTestRegistry(endpoints, `sqlite:${join(dir, 'registry.sqlite')}`);
    base = registry.url;
  });

  it('answers a plain heartbeat as the full pipeline answers one with a body', async () => {
    const created = await call('POST', instancesOf('beats'), {
      host: '10.3.0.1',
      port: 80,
      id: 'b-1',
      ttl: 20,
    });
    expect(created.status).toBe(201);
    const plain = await call('PUT', `${instancesOf('beats')}/b-1/heartbeat`, undefined, {
      'x-request-id': 'beat-plain',
    });
    const withBody = await call(
      'PUT',
      `${instancesOf('beats')}/b-1/heartbeat`,
      {},
      { 'x-request-id': 'beat-body' },
    );
    for (const [answer, id] of [
      [plain, 'beat-plain'],
      [withBody, 'beat-body'],
    ] as const) {
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ id: 'b-1', ttl: 20, revision: created.body.revision });
      expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(answer.headers.get('x-request-id')).toBe(id);
    }
  });

  it('leaves what it cannot answer to the full pipeline: 404 for an unknown instance, 400 for a bad name', async () => {
    const unknown = await call('PUT', `${instancesOf('beats')}/nobody/heartbeat`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
    expect(unknown.body.message).toContain('nobody');
    const badName = await call(
      'PUT',
      `${base}/v1/namespaces/default/services/Not_A_Name/instances/x/heartbeat`,
    );
    expect(badName.status).toBe(400);
    expect(badName.body.statusCode).toBe(400);
  });

  it('counts heartbeats in the HTTP metrics under the route pattern, whichever way they went', async () => {
    await call('POST', instancesOf('counted'), { host: '10.3.0.2', port: 80, id: 'c-1' });
    const before = await heartbeatsCounted(base, 200);
    const beatUrl = `${instancesOf('counted')}/c-1/heartbeat`;
    for (let i = 0; i < 5; i++) expect((await call('PUT', beatUrl)).status).toBe(200);
    expect((await call('PUT', beatUrl, {})).status).toBe(200);
    expect(await heartbeatsCounted(base, 200)).toBe(before + 6);
    expect(await heartbeatsCounted(base, 404)).toBeGreaterThanOrEqual(1);
  });
});
