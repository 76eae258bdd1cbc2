import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Client } from 'pg';
import type { DataSourceOptions } from 'typeorm';
import { REGISTRY_ENTITIES } from './entities';
import { InitialSchema1763700000000 } from './migrations/1763700000000-initial-schema';

export const REGISTRY_MIGRATIONS = [InitialSchema1763700000000];
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

interface ParsedDatabaseUrl {
  kind: 'sqlite' | 'postgres';
  /** The SQLite file (or ':memory:'), or the PostgreSQL URL without our `schema` parameter. */
  location: string;
  schema?: string;
}

/**
 * `sqlite:<path>` or `postgres://...[?schema=name]`. The `schema` parameter puts every table
 * (migrations included) in that PostgreSQL schema, so several registries (or test runs) can
 * share one database.
 */
export function parseDatabaseUrl(url: string): ParsedDatabaseUrl {
  if (url.startsWith('sqlite:')) return { kind: 'sqlite', location: url.slice('sqlite:'.length) };
  if (/^postgres(ql)?:\/\//.test(url)) {
    const parsed = new URL(url);
    const schema = parsed.searchParams.get('schema') ?? undefined;
    if (schema !== undefined && !SCHEMA_NAME.test(schema))
      throw new Error(`database url: bad schema name "${schema}"`);
    parsed.searchParams.delete('schema');
    return { kind: 'postgres', location: parsed.toString(), schema };
  }
  throw new Error(`database url must be sqlite:<path> or postgres://..., got "${url}"`);
}

/** Creates what must exist before TypeORM connects: SQLite's folder, PostgreSQL's schema. */
export async function prepareDatabase(url: string): Promise<void> {
  const parsed = parseDatabaseUrl(url);
  if (parsed.kind === 'sqlite') {
    if (parsed.location !== ':memory:') mkdirSync(dirname(parsed.location), { recursive: true });
    return;
  }
  if (parsed.schema === undefined) return;
  const client = new Client({ connectionString: parsed.location });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${parsed.schema}"`);
  } finally {
    await client.end();
  }
}

/**
 * WAL with synchronous=NORMAL: a commit appends to the write-ahead log without an fsync (the
 * WAL is synced at checkpoints). In the default rollback-journal mode with synchronous=FULL
 * every commit cost several fsyncs, and better-sqlite3 runs them on the event loop: each audit
 * row stalled every request of the registry for ~1 ms, more with the store's fsyncs on the
 * same disk. The trade-off: a commit survives the process being killed (kill -9), not an OS
 * crash or power loss, which may take back the last commits. The store, not this database,
 * holds what a registration acknowledges (the audit and policy history describe it).
 */
function tuneSqlite(db: { pragma(source: string): unknown }): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
}

/** TypeORM options: migrations run at start, never `synchronize`. */
export function dataSourceOptions(url: string): DataSourceOptions {
  const parsed = parseDatabaseUrl(url);
  const common = {
    entities: REGISTRY_ENTITIES,
    migrations: REGISTRY_MIGRATIONS,
    migrationsRun: true,
    synchronize: false,
    logging: false,
  } as const;
  if (parsed.kind === 'sqlite')
    return { type: 'better-sqlite3', database: parsed.location, prepareDatabase: tuneSqlite, ...common };
  return {
    type: 'postgres',
    url: parsed.location,
    ...(parsed.schema !== undefined
      ? { schema: parsed.schema, extra: { options: `-c search_path=${parsed.schema}` } }
      : {}),
    ...common,
  };
}
