import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort, httpOk, startEtcdCluster, type ManagedProcess, type ProcessSet } from '@skyroad/testkit';

const ROOT = resolve(__dirname, '../../../..');
const REGISTRY_BIN = join(ROOT, 'apps/registry/bin/skyroad-registry.js');

/** A real registry process on a real etcd, as the SDK meets it in production. */
export interface Platform {
  readonly url: string;
  readonly port: number;
  readonly etcdEndpoints: string[];
  registry: ManagedProcess;
  /** Stops the registry (SIGTERM); the store keeps its data and leases run on. */
  stopRegistry(): Promise<void>;
  /** Starts the registry again on the same port and database. */
  startRegistry(): Promise<void>;
  /** Starts one more registry node on the same store (own port and database); returns its URL. */
  startExtraRegistry(): Promise<{ url: string; process: ManagedProcess }>;
}

export async function startPlatform(processes: ProcessSet): Promise<Platform> {
  if (!existsSync(join(ROOT, 'apps/registry/dist/main.js'))) {
    throw new Error(
      'apps/registry is not built: run `npx nx run registry:build` (nx runs it before sdk:test)',
    );
  }
  const etcd = await startEtcdCluster(processes, { size: 1 });
  const port = await freePort();
  const dbDir = processes.tempDir('sdk-registry-db-');
  const url = `http://127.0.0.1:${port}`;
  const spawn = (
    onPort = port,
    db = join(dbDir, 'registry.sqlite'),
    name = 'registry',
  ): Promise<ManagedProcess> =>
    processes.spawn({
      name,
      command: process.execPath,
      args: [
        REGISTRY_BIN,
        '--port',
        String(onPort),
        '--host',
        '127.0.0.1',
        '--store-endpoints',
        etcd.endpoints.join(','),
        '--database-url',
        `sqlite:${db}`,
      ],
      env: { SKYROAD_LOG_LEVEL: 'warn' },
      ready: () => httpOk(`http://127.0.0.1:${onPort}/ready`),
      readyTimeoutMs: 30_000,
    });
  const platform: Platform = {
    url,
    port,
    etcdEndpoints: etcd.endpoints,
    registry: await spawn(),
    async stopRegistry() {
      await platform.registry.stop();
    },
    async startRegistry() {
      platform.registry = await spawn();
    },
    async startExtraRegistry() {
      const extraPort = await freePort();
      const extra = await spawn(
        extraPort,
        join(processes.tempDir('sdk-registry-db-'), 'registry.sqlite'),
        'registry-2',
      );
      return { url: `http://127.0.0.1:${extraPort}`, process: extra };
    },
  };
  return platform;
}

/** A registry HTTP call from the test itself (operator actions: policies, PATCH, DELETE). */
export async function registryRequest(
  platform: Platform,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${platform.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

export async function putPolicy(platform: Platform, service: string, policy: unknown): Promise<number> {
  const res = await registryRequest(
    platform,
    'PUT',
    `/v1/namespaces/default/services/${service}/policy`,
    policy,
  );
  if (res.status !== 200) throw new Error(`PUT policy answered ${res.status}: ${JSON.stringify(res.body)}`);
  return (res.body as { revision: number }).revision;
}
