/*
 * Where the tests find the services they need. Every value can be overridden with an
 * environment variable; the defaults are what tools/ci/ensure-services.sh provides.
 */

export function etcdBinary(): string {
  return process.env['SKYROAD_TEST_ETCD_BIN'] ?? 'etcd';
}

export function etcdctlBinary(): string {
  return process.env['SKYROAD_TEST_ETCDCTL_BIN'] ?? 'etcdctl';
}

export function redisServerBinary(): string {
  return process.env['SKYROAD_TEST_REDIS_SERVER_BIN'] ?? 'redis-server';
}

/** The shared Redis that runs on the machine (tests that need their own start one). */
export function redisUrl(): string {
  return process.env['SKYROAD_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
}

/** The shared PostgreSQL database that runs on the machine. */
export function postgresUrl(): string {
  return process.env['SKYROAD_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
}

export function chromiumPath(): string {
  return process.env['SKYROAD_TEST_CHROMIUM'] ?? '/usr/bin/chromium';
}
