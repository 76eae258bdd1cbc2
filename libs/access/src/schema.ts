import type { DataSourceOptions } from 'typeorm';
import { ACCESS_ENTITIES } from './entities';
import { ACCESS_MIGRATIONS } from './migrations';

/**
 * The application's DataSource options with the access tables added: the access module keeps
 * its users, sessions and tokens in the application's own database (SQLite or PostgreSQL).
 */
export function withAccessSchema<T extends DataSourceOptions>(options: T): T {
  const entities = Array.isArray(options.entities) ? options.entities : [];
  const migrations = Array.isArray(options.migrations) ? options.migrations : [];
  return {
    ...options,
    entities: [...entities, ...ACCESS_ENTITIES],
    migrations: [...migrations, ...ACCESS_MIGRATIONS],
  };
}

/** Whether a listen address only accepts local connections (where anonymous access may be allowed). */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
