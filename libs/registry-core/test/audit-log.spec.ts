import { PostgresTestSchema, useProcessSet } from '@skyroad/testkit';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { AuditLog, dataSourceOptions, prepareDatabase } from '../src';

// Each run gets a PostgreSQL schema of its own, dropped at the end, so parallel runs never collide.
const pgSchema = new PostgresTestSchema('audit_log_test');

const databases: [string, (dir: string) => string][] = [
  ['SQLite', (dir) => `sqlite:${join(dir, 'audit.sqlite')}`],
  ['PostgreSQL', () => pgSchema.url()],
];

afterAll(() => pgSchema.drop());

/** A statement that makes the database refuse audit rows whose target starts with "refused-". */
const REFUSE_ROWS: Record<string, string> = {
  SQLite: `CREATE TRIGGER refuse_rows BEFORE INSERT ON audit_events WHEN NEW.target LIKE 'refused-%'
           BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`,
  PostgreSQL: `ALTER TABLE audit_events ADD CONSTRAINT refuse_rows CHECK (target NOT LIKE 'refused-%')`,
};

describe.each(databases)('AuditLog (group commit) on %s', (kind, databaseUrl) => {
  const processes = useProcessSet();
  let url: string;
  const open = async () => {
    await prepareDatabase(url);
    return new DataSource(dataSourceOptions(url)).initialize();
  };
  const rows = async (dataSource: DataSource, service: string) =>
    (await new AuditLog(dataSource).list({ service, limit: 1_000 })).reverse();

  beforeAll(() => {
    url = databaseUrl(processes.tempDir('audit-log-'));
  });

  it('writes every row recorded at once, in the order recorded, each with its own actor', async () => {
    const dataSource = await open();
    try {
      const audit = new AuditLog(dataSource);
      const actors = ['alice', 'bob', 'anonymous'];
      await Promise.all(
        Array.from({ length: 450 }, (_, i) =>
          audit.record({
            actor: actors[i % 3],
            action: 'instance.register',
            namespace: 'default',
            service: 'at-once',
            target: `i-${i}`,
            detail: { n: i },
          }),
        ),
      );
      const written = await rows(dataSource, 'at-once');
      expect(written.map((r) => [r.target, r.actor, r.detail])).toEqual(
        Array.from({ length: 450 }, (_, i) => [`i-${i}`, actors[i % 3], { n: i }]),
      );
    } finally {
      await dataSource.destroy();
    }
  });

  it('close() writes the rows still queued, so they are there after the database is reopened', async () => {
    const first = await open();
    const audit = new AuditLog(first);
    const recorded = Array.from({ length: 300 }, (_, i) =>
      audit.record({ actor: 'carol', action: 'instance.register', service: 'at-close', target: `c-${i}` }),
    );
    await audit.close();
    await first.destroy();
    await expect(Promise.all(recorded)).resolves.toBeDefined();

    const again = await open();
    try {
      const written = await rows(again, 'at-close');
      expect(written.map((r) => r.target)).toEqual(Array.from({ length: 300 }, (_, i) => `c-${i}`));
    } finally {
      await again.destroy();
    }
  });

  it('a row the database refuses fails alone: the rows batched with it are written', async () => {
    const dataSource = await open();
    try {
      await dataSource.query(REFUSE_ROWS[kind]);
      const audit = new AuditLog(dataSource);
      const record = (target: string) =>
        audit.record({ actor: 'dave', action: 'instance.register', service: 'refusing', target });
      // Recorded in the same turn, so they share a commit until the database refuses it.
      const outcomes = await Promise.allSettled(
        ['kept-1', 'refused-1', 'kept-2', 'kept-3'].map((target) => record(target)),
      );
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      await record('kept-4');
      expect((await rows(dataSource, 'refusing')).map((r) => r.target)).toEqual([
        'kept-1',
        'kept-2',
        'kept-3',
        'kept-4',
      ]);
    } finally {
      await dataSource.destroy();
    }
  });
});
