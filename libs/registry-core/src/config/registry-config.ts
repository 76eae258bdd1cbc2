import { parseArgs } from 'node:util';

export interface RegistryConfig {
  host: string;
  port: number;
  storeEndpoints: string[];
  /** Empty: failover off. */
  standbyStoreEndpoints: string[];
  /** Undefined: the Redis L2 cache is off. */
  redisUrl?: string;
  /** Prefix of every L2 key; undefined: derived from the primary store's endpoints. */
  redisKeyPrefix?: string;
  /** --redis-url names one node of a Redis Cluster (the ioredis Cluster client is used). */
  redisCluster?: boolean;
  /** The store is declared lost (failover, else degraded mode) after this long without an answer. */
  failoverAfterMs: number;
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
  failoverAfterMs: 3_000,
  databaseUrl: 'sqlite:.data/registry.sqlite',
  insecureAllowAnonymous: false,
};

/** Bounds of --failover-after-ms. */
export const MIN_FAILOVER_AFTER_MS = 500;
export const MAX_FAILOVER_AFTER_MS = 600_000;

const INSECURE_ALLOW_ANONYMOUS_ENV = 'SKYROAD_INSECURE_ALLOW_ANONYMOUS';
const REDIS_CLUSTER_ENV = 'SKYROAD_REDIS_CLUSTER';

interface FlagSpec {
  flag: string;
  env: string;
  description: string;
  default: string;
}

const FLAGS: Record<
  | 'port'
  | 'host'
  | 'store-endpoints'
  | 'standby-store-endpoints'
  | 'redis-url'
  | 'redis-key-prefix'
  | 'failover-after-ms'
  | 'database-url',
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
  'redis-key-prefix': {
    flag: 'redis-key-prefix',
    env: 'SKYROAD_REDIS_KEY_PREFIX',
    description: 'prefix of the L2 keys in Redis (registries of one cluster share it)',
    default: 'skyroad:l2:<hash of the sorted --store-endpoints>:',
  },
  'failover-after-ms': {
    flag: 'failover-after-ms',
    env: 'SKYROAD_FAILOVER_AFTER_MS',
    description:
      'the store is lost (switch to the standby, else degraded mode) after this long without an answer',
    default: '3000',
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
  `  --${'redis-cluster'.padEnd(26)} --redis-url is one node of a Redis Cluster`,
  `  ${''.padEnd(28)} env ${REDIS_CLUSTER_ENV}=1, default off (standalone Redis)`,
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
        'redis-cluster': { type: 'boolean' },
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
  if (standby !== undefined) {
    config.standbyStoreEndpoints = parseEndpoints('standby-store-endpoints', standby, errors);
    // Mirroring a cluster onto itself would strip the leases of its own instances.
    const shared = config.standbyStoreEndpoints.filter((e) => config.storeEndpoints.includes(e));
    if (shared.length > 0)
      errors.push(
        `--standby-store-endpoints: ${shared.join(', ')} is also a primary endpoint; the standby is another cluster`,
      );
  }
  const redis = pick('redis-url');
  if (redis !== undefined) {
    if (!/^rediss?:\/\/[^\s]+$/.test(redis))
      errors.push(`--redis-url: "${redis}" is not a redis:// or rediss:// URL`);
    else config.redisUrl = redis;
  }
  const failoverAfter = pick('failover-after-ms');
  if (failoverAfter !== undefined) {
    const ms = Number(failoverAfter);
    if (!/^\d{1,9}$/.test(failoverAfter) || ms < MIN_FAILOVER_AFTER_MS || ms > MAX_FAILOVER_AFTER_MS)
      errors.push(
        `--failover-after-ms: "${failoverAfter}" is not a number of milliseconds (${MIN_FAILOVER_AFTER_MS}-${MAX_FAILOVER_AFTER_MS})`,
      );
    else config.failoverAfterMs = ms;
  }
  const keyPrefix = pick('redis-key-prefix');
  if (keyPrefix !== undefined) {
    if (!/^[\x21-\x7e]{1,128}$/.test(keyPrefix) || /[{}]/.test(keyPrefix))
      errors.push(
        `--redis-key-prefix: "${keyPrefix}" must be 1-128 printable characters without spaces or braces`,
      );
    else config.redisKeyPrefix = keyPrefix;
  }
  if (values['redis-cluster'] === true || ['1', 'true', 'yes'].includes(env[REDIS_CLUSTER_ENV] ?? '')) {
    if (config.redisUrl === undefined)
      errors.push('--redis-cluster: needs --redis-url (a node of the cluster)');
    else config.redisCluster = true;
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
