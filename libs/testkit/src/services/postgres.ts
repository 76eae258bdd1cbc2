import { Client } from 'pg';
import { postgresUrl } from '../env';

/**
 * A PostgreSQL schema of one test run's own, so parallel runs on the shared `test` database
 * never see each other's tables; `drop()` (in afterAll) removes it with everything in it.
 */
export class PostgresTestSchema {
  readonly name: string;

  constructor(prefix: string) {
    this.name = `${prefix}_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  }

  /** The database URL with `schema=<name>`, which Skyroad's TypeORM options put tables in. */
  url(): string {
    const base = postgresUrl();
    return `${base}${base.includes('?') ? '&' : '?'}schema=${this.name}`;
  }

  async drop(): Promise<void> {
    const client = new Client({ connectionString: postgresUrl() });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS "${this.name}" CASCADE`);
    } finally {
      await client.end();
    }
  }
}
