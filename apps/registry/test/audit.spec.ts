import { useProcessSet } from '@skyroad/testkit';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import type { RunningRegistry } from '../src/registry-app';
import { call, type JsonResponse } from './support/http';
import { startTestRegistry } from './support/registry';
import { bearerForNewEditor } from './support/users';
import { startTestStore } from './support/store';

interface AuditEvent {
  actor: string;
  action: string;
  target: string;
}

/**
 * Audit rows are group-committed (rows of concurrent writes share one transaction): each write
 * must still get its own row, with its own caller, and a row the database refuses must not
 * undo the write it describes.
 */
describe('the audit of registrations, group-committed', () => {
  let registry: RunningRegistry | undefined;
  // Declared before the process set, so it runs first: the registry stops before its store.
  afterAll(async () => {
    await registry?.close();
  });
  const processes = useProcessSet();
  let endpoints: string[];
  let databaseUrl: string;

  beforeAll(async () => {
    ({ endpoints } = await startTestStore(processes, 'regaudit'));
    databaseUrl = `sqlite:${join(processes.tempDir('regaudit-db-'), 'registry.sqlite')}`;
    registry = await startTestRegistry(endpoints, databaseUrl);
  });

  const base = () => (registry as RunningRegistry).url;
  const instancesOf = (svc: string) => `${base()}/v1/namespaces/default/services/${svc}/instances`;
  const register = (svc: string, id: string, port: number, headers: Record<string, string> = {}) =>
    call('POST', instancesOf(svc), { host: '10.9.0.1', port, id }, headers);
  const registrationsAudited = async (svc: string): Promise<[string, string][]> => {
    const answer = await call('GET', `${base()}/v1/audit?namespace=default&service=${svc}&limit=1000`);
    expect(answer.status).toBe(200);
    return (answer.body.events as AuditEvent[])
      .filter((e) => e.action === 'instance.register')
      .map((e): [string, string] => [e.target, e.actor])
      .sort();
  };

  it('gives each of many concurrent registrations its own row, with the caller who made it', async () => {
    const callers: [string, Record<string, string>][] = [
      ['audit-alice', await bearerForNewEditor(base(), 'audit-alice')],
      ['audit-bob', await bearerForNewEditor(base(), 'audit-bob')],
      ['anonymous', {}],
    ];
    const answers = await Promise.all(
      Array.from({ length: 90 }, (_, i) => register('many', `m-${i}`, 1000 + i, callers[i % 3][1])),
    );
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 201));
    expect(await registrationsAudited('many')).toEqual(
      Array.from({ length: 90 }, (_, i): [string, string] => [`m-${i}`, callers[i % 3][0]]).sort(),
    );
  });

  it('keeps a registration whose audit row the database refuses, and writes the rows batched with it', async () => {
    const database = (registry as RunningRegistry).app.get(DataSource);
    await database.query(
      `CREATE TRIGGER refuse_rows BEFORE INSERT ON audit_events WHEN NEW.target LIKE 'refused-%'
       BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`,
    );
    try {
      const answers = await Promise.all(
        ['kept-1', 'refused-1', 'kept-2'].map((id, i) => register('refusing', id, 2000 + i)),
      );
      expect(answers.map((a) => a.status)).toEqual([201, 201, 201]);
      const listed = await call('GET', instancesOf('refusing'));
      expect((listed.body.instances as { id: string }[]).map((i) => i.id).sort()).toEqual([
        'kept-1',
        'kept-2',
        'refused-1',
      ]);
      expect(await registrationsAudited('refusing')).toEqual([
        ['kept-1', 'anonymous'],
        ['kept-2', 'anonymous'],
      ]);
    } finally {
      await database.query('DROP TRIGGER refuse_rows');
    }
  });

  it('has a row for every registration answered before a graceful shutdown, after a restart', async () => {
    const answered: string[] = [];
    const sent = Array.from({ length: 80 }, (_, i) =>
      register('at-shutdown', `s-${i}`, 3000 + i).then(
        (answer: JsonResponse) => {
          if (answer.status === 201) answered.push(`s-${i}`);
        },
        () => undefined, // refused by the stopping server: never answered, nothing to audit
      ),
    );
    // Stop as soon as the first answer is in, with the others in flight or queued.
    await Promise.race(sent);
    const stopping = (registry as RunningRegistry).close();
    registry = undefined;
    await Promise.all(sent);
    await stopping;
    expect(answered.length).toBeGreaterThan(0);

    registry = await startTestRegistry(endpoints, databaseUrl);
    const audited = (await registrationsAudited('at-shutdown')).map(([target]) => target);
    expect(audited).toEqual(expect.arrayContaining(answered));
  });
});
