import { PostgresTestSchema, useProcessSet } from '@skyroad/testkit';
import { join } from 'node:path';
import type { RunningRegistry } from '../src/registry-app';
import { call } from './support/http';
import { startTestRegistry } from './support/registry';
import { bearerForNewEditor } from './support/users';
import { startTestStore } from './support/store';

// Each run gets a PostgreSQL schema of its own, dropped at the end, so parallel runs never collide.
const pgSchema = new PostgresTestSchema('registry_test');

const databases: [string, (dir: string) => string][] = [
  ['SQLite', (dir) => `sqlite:${join(dir, 'registry.sqlite')}`],
  ['PostgreSQL', () => pgSchema.url()],
];

afterAll(() => pgSchema.drop());

describe.each(databases)('policies, history and rollback with %s', (kind, databaseUrl) => {
  let registry: RunningRegistry;
  // Declared before the process set, so it runs first: the registry stops before its store.
  afterAll(async () => {
    await registry?.close();
  });
  const processes = useProcessSet();
  let svc: string;

  beforeAll(async () => {
    const { endpoints } = await startTestStore(processes, `regpol${kind.toLowerCase()}`);
    registry = await startTestRegistry(endpoints, databaseUrl(processes.tempDir('regpol-db-')));
    svc = `${registry.url}/v1/namespaces/default/services/checkout`;
  });

  it('answers 404 before any policy, and refuses an invalid one with every reason', async () => {
    expect((await call('GET', `${svc}/policy`)).status).toBe(404);
    const invalid = await call('PUT', `${svc}/policy`, {
      loadBalancer: { strategy: 'fastest' },
      defaultRoute: { destinations: [{ subset: { version: 'v1' }, weight: 90 }] },
      surprise: 1,
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.reasons.length).toBeGreaterThanOrEqual(3);
    expect(invalid.body.reasons.join('\n')).toMatch(/loadBalancer\.strategy/);
    expect(invalid.body.reasons.join('\n')).toMatch(/defaultRoute\.destinations/);
    expect((await call('PUT', `${svc}/policy`, '[]')).status).toBe(400);
    expect((await call('PUT', `${svc}/policy`, '{oops')).status).toBe(400);
    expect((await call('GET', `${svc}/policy`)).status).toBe(404);
    expect((await call('GET', `${svc}/policy/history`)).body).toEqual({ versions: [] });
  });

  it('stores a valid policy with its revision and author, keeps every version, and rolls back', async () => {
    const v1 = { loadBalancer: { strategy: 'random' } };
    const v2 = {
      loadBalancer: { strategy: 'round_robin' },
      defaultRoute: {
        destinations: [
          { subset: { version: 'v1' }, weight: 90 },
          { subset: { version: 'v2' }, weight: 10 },
        ],
      },
    };
    const first = await call('PUT', `${svc}/policy`, v1, await bearerForNewEditor(registry.url, 'alice'));
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      namespace: 'default',
      service: 'checkout',
      policy: v1,
      updatedBy: 'alice',
    });
    expect(first.body.revision).toBeGreaterThan(0);
    const second = await call('PUT', `${svc}/policy`, v2, await bearerForNewEditor(registry.url, 'bob'));
    expect(second.body.revision).toBeGreaterThan(first.body.revision);
    expect((await call('GET', `${svc}/policy`)).body).toEqual(second.body);

    const rolled = await call(
      'POST',
      `${svc}/policy/rollback`,
      { version: 1 },
      await bearerForNewEditor(registry.url, 'carol'),
    );
    expect(rolled.status).toBe(200);
    expect(rolled.body).toMatchObject({ policy: v1, updatedBy: 'carol' });
    expect((await call('GET', `${svc}/policy`)).body.policy).toEqual(v1);

    const history = await call('GET', `${svc}/policy/history`);
    expect(
      history.body.versions.map((v: { version: number; action: string; updatedBy: string }) => [
        v.version,
        v.action,
        v.updatedBy,
      ]),
    ).toEqual([
      [3, 'rollback', 'carol'],
      [2, 'put', 'bob'],
      [1, 'put', 'alice'],
    ]);
    expect(history.body.versions[0]).toMatchObject({
      rollbackOf: 1,
      revision: rolled.body.revision,
      policy: v1,
    });
    expect(history.body.versions[1]).toMatchObject({ revision: second.body.revision, policy: v2 });
    expect(history.body.versions[2].rollbackOf).toBeUndefined();

    const audit = await call('GET', `${registry.url}/v1/audit?service=checkout`);
    expect(audit.body.events.map((e: { action: string; actor: string }) => [e.action, e.actor])).toEqual([
      ['policy.rollback', 'carol'],
      ['policy.put', 'bob'],
      ['policy.put', 'alice'],
    ]);
  });

  it('refuses a rollback to a version that does not exist, or without a version', async () => {
    expect((await call('POST', `${svc}/policy/rollback`, { version: 42 })).status).toBe(404);
    expect((await call('POST', `${svc}/policy/rollback`, { version: 'one' })).status).toBe(400);
    expect((await call('POST', `${svc}/policy/rollback`, {})).status).toBe(400);
  });

  it('lists a service that has a policy and no instance', async () => {
    const services = await call('GET', `${registry.url}/v1/namespaces/default/services`);
    expect(services.body.services).toContainEqual({ name: 'checkout', instances: 0, healthy: 0 });
  });

  it('reports its database in /ready', async () => {
    const ready = await call('GET', `${registry.url}/ready`);
    expect(ready.body.database).toEqual({ reachable: true, kind: kind === 'SQLite' ? 'sqlite' : 'postgres' });
  });
});
