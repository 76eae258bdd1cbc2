import { DEFAULT_CONFIG, parseRegistryConfig, USAGE } from '../src';

describe('parseRegistryConfig', () => {
  it('uses the documented defaults', () => {
    expect(parseRegistryConfig([], {})).toEqual({ kind: 'config', config: DEFAULT_CONFIG });
    expect(DEFAULT_CONFIG).toEqual({
      host: '127.0.0.1',
      port: 7070,
      storeEndpoints: ['http://127.0.0.1:2379'],
      standbyStoreEndpoints: [],
      failoverAfterMs: 3_000,
      databaseUrl: 'sqlite:.data/registry.sqlite',
      insecureAllowAnonymous: false,
    });
  });

  it('reads the availability flags and refuses a standby that is the primary, or an absurd failover delay', () => {
    const ok = parseRegistryConfig(['--failover-after-ms', '1500', '--redis-key-prefix', 'prod:l2:'], {});
    expect(ok.kind === 'config' && [ok.config.failoverAfterMs, ok.config.redisKeyPrefix]).toEqual([
      1_500,
      'prod:l2:',
    ]);
    const cluster = parseRegistryConfig(['--redis-cluster', '--redis-url', 'redis://n1:7000'], {});
    expect(cluster.kind === 'config' && cluster.config.redisCluster).toBe(true);
    expect(parseRegistryConfig([], { SKYROAD_REDIS_CLUSTER: '1' }).kind).toBe('error');
    const env = parseRegistryConfig([], { SKYROAD_FAILOVER_AFTER_MS: '4000' });
    expect(env.kind === 'config' && env.config.failoverAfterMs).toBe(4_000);
    const bad = parseRegistryConfig(
      [
        '--store-endpoints',
        'http://a:1,http://b:2',
        '--standby-store-endpoints',
        'http://b:2',
        '--failover-after-ms',
        '10',
        '--redis-key-prefix',
        'has space',
      ],
      {},
    );
    expect(bad.kind).toBe('error');
    const errors = bad.kind === 'error' ? bad.errors.join('\n') : '';
    expect(errors).toMatch(/--standby-store-endpoints: http:\/\/b:2 is also a primary endpoint/);
    expect(errors).toMatch(/--failover-after-ms: "10"/);
    expect(errors).toMatch(/--redis-key-prefix/);
  });

  it('turns on anonymous access off loopback only when asked to, by flag or env', () => {
    const flag = parseRegistryConfig(['--insecure-allow-anonymous'], {});
    expect(flag.kind === 'config' && flag.config.insecureAllowAnonymous).toBe(true);
    const env = parseRegistryConfig([], { SKYROAD_INSECURE_ALLOW_ANONYMOUS: '1' });
    expect(env.kind === 'config' && env.config.insecureAllowAnonymous).toBe(true);
    expect(parseRegistryConfig(['--insecure-allow-anonymous=yes'], {}).kind).toBe('error');
  });

  it('reads environment variables, and flags win over them', () => {
    const env = {
      SKYROAD_REGISTRY_PORT: '8080',
      SKYROAD_REGISTRY_HOST: '0.0.0.0',
      SKYROAD_STORE_ENDPOINTS: 'http://a:1, http://b:2',
      SKYROAD_STANDBY_STORE_ENDPOINTS: 'http://c:3',
      SKYROAD_REDIS_URL: 'redis://r:6379',
      SKYROAD_DATABASE_URL: 'postgres://u@db/registry',
    };
    const fromEnv = parseRegistryConfig([], env);
    expect(fromEnv).toEqual({
      kind: 'config',
      config: {
        host: '0.0.0.0',
        port: 8080,
        storeEndpoints: ['http://a:1', 'http://b:2'],
        standbyStoreEndpoints: ['http://c:3'],
        redisUrl: 'redis://r:6379',
        failoverAfterMs: 3_000,
        databaseUrl: 'postgres://u@db/registry',
        insecureAllowAnonymous: false,
      },
    });
    const both = parseRegistryConfig(['--port', '9090', '--store-endpoints=https://x:2379'], env);
    expect(both.kind === 'config' && [both.config.port, both.config.storeEndpoints]).toEqual([
      9090,
      ['https://x:2379'],
    ]);
  });

  it('reports every bad value, not only the first', () => {
    const result = parseRegistryConfig(
      [
        '--port',
        '70000',
        '--store-endpoints',
        'localhost:2379',
        '--redis-url',
        'http://r',
        '--database-url',
        'mysql://x',
      ],
      {},
    );
    expect(result.kind).toBe('error');
    expect(result.kind === 'error' && result.errors.map((e) => e.split(':')[0])).toEqual([
      '--port',
      '--store-endpoints',
      '--redis-url',
      '--database-url',
    ]);
  });

  it('refuses unknown flags, positionals and flags without their value', () => {
    expect(parseRegistryConfig(['--prot', '1'], {}).kind).toBe('error');
    expect(parseRegistryConfig(['serve'], {}).kind).toBe('error');
    expect(parseRegistryConfig(['--port'], {}).kind).toBe('error');
  });

  it('answers help for --help and -h, with every flag and variable in the usage', () => {
    expect(parseRegistryConfig(['--help'], {})).toEqual({ kind: 'help' });
    expect(parseRegistryConfig(['-h', '--port', 'bad'], {})).toEqual({ kind: 'help' });
    for (const text of [
      '--store-endpoints',
      'SKYROAD_STANDBY_STORE_ENDPOINTS',
      'SKYROAD_DATABASE_URL',
      '--help',
    ]) {
      expect(USAGE).toContain(text);
    }
  });
});
