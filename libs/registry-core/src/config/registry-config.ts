import { parseArgs } from 'node:util';

export interface RegistryConfig {
  host: string;
  port: number;
  storeEndpoints: string[];
  /** Empty: failover off. */
  standbyStoreEndpoints: string[];
  /** Undefined: the Redis L2 cache is off. */
  redisUrl?: string;
  databaseUrl: string;
  /**
   * Lets requests without a token in on a listener that is not loopback-only. Loopback
   * listeners always allow them, for development.
   */
  insecureAllowAnonymous: boolean;
}

export const DEFAULT_CONFIG: RegistryConfig = {
  host: '127.0.0.1',
  port: 7070,
  storeEndpoints: ['http://127.0.0.1:2379'],
  standbyStoreEndpoints: [],
  databaseUrl: 'sqlite:.data/registry.sqlite',
  insecureAllowAnonymous: false,
};

const INSECURE_ALLOW_ANONYMOUS_ENV = 'SKYROAD_INSECURE_ALLOW_ANONYMOUS';

interface FlagSpec {
  flag: string;
  env: string;
  description: string;
  default: string;
}

const FLAGS: Record<
  'port' | 'host' | 'store-endpoints' | 'standby-store-endpoints' | 'redis-url' | 'database-url',
  FlagSpec
> = {
  port: {
    flag: 'port',
    env: 'SKYROAD_REGISTRY_PORT',
    description: 'HTTP port (0 picks a free one)',
    default: '7070',
  },
  host: {
    flag: 'host',
    env: 'SKYROAD_REGISTRY_HOST',
    description: 'address to listen on',
    default: '127.0.0.1',
  },
  'store-endpoints': {
    flag: 'store-endpoints',
    env: 'SKYROAD_STORE_ENDPOINTS',
    description: 'primary store (etcd v3 API) client URLs, comma-separated',
    default: 'http://127.0.0.1:2379',
  },
  'standby-store-endpoints': {
    flag: 'standby-store-endpoints',
    env: 'SKYROAD_STANDBY_STORE_ENDPOINTS',
    description: 'standby store client URLs, comma-separated',
    default: 'none (failover off)',
  },
  'redis-url': {
    flag: 'redis-url',
    env: 'SKYROAD_REDIS_URL',
    description: 'Redis for the L2 cache (redis:// or rediss://)',
    default: 'none (L2 off)',
  },
  'database-url': {
    flag: 'database-url',
    env: 'SKYROAD_DATABASE_URL',
    description: 'history and audit database: sqlite:<path> or postgres://...',
    default: 'sqlite:.data/registry.sqlite',
  },
};

export const USAGE = [
  'Usage: skyroad-registry [flags]',
  '',
  'The Skyroad registry center. Every flag can also be given as the environment variable shown.',
  '',
  ...Object.values(FLAGS).map(
    (f) => `  --${f.flag.padEnd(26)} ${f.description}\n  ${''.padEnd(28)} env ${f.env}, default ${f.default}`,
  ),
  `  --${'insecure-allow-anonymous'.padEnd(26)} allow requests without a token on a non-loopback --host`,
  `  ${''.padEnd(28)} env ${INSECURE_ALLOW_ANONYMOUS_ENV}=1, default off (tokens required off loopback)`,
  `  --${'help'.padEnd(26)} print this help and exit`,
  '',
].join('\n');

export type ConfigResult =
  { kind: 'config'; config: RegistryConfig } | { kind: 'help' } | { kind: 'error'; errors: string[] };

function parseEndpoints(name: string, raw: string, errors: string[]): string[] {
  const endpoints = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (endpoints.length === 0) errors.push(`--${name}: give at least one URL`);
  for (const endpoint of endpoints) {
    let url: URL | undefined;
    try {
      url = new URL(endpoint);
    } catch {
      url = undefined;
    }
    if (
      !url ||
      (url.protocol !== 'http:' && url.protocol !== 'https:') ||
      url.port === '' ||
      url.pathname !== '/'
    ) {
      errors.push(`--${name}: "${endpoint}" is not an http(s)://host:port URL`);
    }
  }
  return endpoints;
}

/**
 * Reads flags first, then environment variables, then defaults. Every problem is reported,
 * not only the first, so that one run of `--help`-less trial and error is enough.
 */
export function parseRegistryConfig(argv: string[], env: NodeJS.ProcessEnv): ConfigResult {
  let values: Record<string, string | boolean | undefined>;
  try {
    const options = Object.fromEntries(Object.keys(FLAGS).map((k) => [k, { type: 'string' as const }]));
    ({ values } = parseArgs({
      args: argv,
      options: {
        ...options,
        help: { type: 'boolean', short: 'h' },
        'insecure-allow-anonymous': { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return { kind: 'error', errors: [(error as Error).message] };
  }
  if (values['help'] === true) return { kind: 'help' };

  const errors: string[] = [];
  const pick = (name: keyof typeof FLAGS): string | undefined => {
    const fromFlag = values[name];
    if (typeof fromFlag === 'string') return fromFlag;
    const fromEnv = env[FLAGS[name].env];
    return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
  };

  const config: RegistryConfig = { ...DEFAULT_CONFIG };
  const port = pick('port');
  if (port !== undefined) {
    if (!/^\d{1,5}$/.test(port) || Number(port) > 65_535)
      errors.push(`--port: "${port}" is not a port number (0-65535)`);
    else config.port = Number(port);
  }
  const host = pick('host');
  if (host !== undefined) {
    if (host.trim() === '') errors.push('--host: must not be empty');
    else config.host = host;
  }
  const store = pick('store-endpoints');
  if (store !== undefined) config.storeEndpoints = parseEndpoints('store-endpoints', store, errors);
  const standby = pick('standby-store-endpoints');
  if (standby !== undefined)
    config.standbyStoreEndpoints = parseEndpoints('standby-store-endpoints', standby, errors);
  const redis = pick('redis-url');
  if (redis !== undefined) {
    if (!/^rediss?:\/\/[^\s]+$/.test(redis))
      errors.push(`--redis-url: "${redis}" is not a redis:// or rediss:// URL`);
    else config.redisUrl = redis;
  }
  config.insecureAllowAnonymous =
    values['insecure-allow-anonymous'] === true ||
    ['1', 'true', 'yes'].includes(env[INSECURE_ALLOW_ANONYMOUS_ENV] ?? '');
  const database = pick('database-url');
  if (database !== undefined) {
    if (!/^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(database)) {
      errors.push(`--database-url: "${database}" is neither sqlite:<path> nor postgres://...`);
    } else config.databaseUrl = database;
  }
  return errors.length > 0 ? { kind: 'error', errors } : { kind: 'config', config };
}
