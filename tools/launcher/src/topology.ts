import { join, resolve } from 'node:path';
import type { LauncherOptions } from './options';

/** One process of the platform, as the supervisor starts it. */
export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Polled until it answers 2xx: the process is up. */
  healthUrl: string;
  /** What the user is told to open, if anything. */
  url?: { label: string; href: string };
  /** Processes of one stage start together; a stage waits for the previous one to be healthy. */
  stage: number;
}

/** The ports of ARCHITECTURE.md ("Ports of the local platform"), before any offset. */
export const BASE_PORTS = {
  primaryClient: [2379, 22379, 32379],
  primaryPeer: [2380, 22380, 32380],
  standbyClient: 42379,
  standbyPeer: 42380,
  registry: 7070,
  console: 3000,
  demoFirst: 7100,
} as const;

const STAGE_STORES = 0;
const STAGE_REGISTRY = 1;
const STAGE_CONSOLE_AND_PAYMENTS = 2;
const STAGE_ORDERS = 3;
const STAGE_GATEWAY = 4;

const url = (port: number) => `http://127.0.0.1:${port}`;

/** The processes `npm start` runs, in stages, for the given options. */
export function buildTopology(options: LauncherOptions, root: string): ProcessSpec[] {
  const at = (port: number) => port + options.portOffset;
  const data = (...parts: string[]) => resolve(root, options.dataDir, ...parts);
  const node = process.execPath;
  const specs: ProcessSpec[] = [];

  const storeMember = (
    cluster: string,
    name: string,
    client: number,
    peer: number,
    initialCluster: string,
  ) => {
    const flags = [
      '--name',
      name,
      '--data-dir',
      data(cluster, name),
      '--listen-client-urls',
      url(client),
      '--advertise-client-urls',
      url(client),
      '--listen-peer-urls',
      url(peer),
      '--initial-advertise-peer-urls',
      url(peer),
      '--initial-cluster',
      initialCluster,
      '--initial-cluster-state',
      'new',
      '--initial-cluster-token',
      `skyroad-${cluster}`,
    ];
    const command = options.store === 'etcd' ? 'etcd' : node;
    const args = options.store === 'etcd' ? flags : [join(root, 'apps/store/bin/skyroad-store.js'), ...flags];
    specs.push({ name, command, args, healthUrl: `${url(client)}/health`, stage: STAGE_STORES });
  };

  const primaryNames = ['store-1', 'store-2', 'store-3'];
  const primaryCluster = primaryNames
    .map((name, i) => `${name}=${url(at(BASE_PORTS.primaryPeer[i]))}`)
    .join(',');
  primaryNames.forEach((name, i) =>
    storeMember(
      'primary',
      name,
      at(BASE_PORTS.primaryClient[i]),
      at(BASE_PORTS.primaryPeer[i]),
      primaryCluster,
    ),
  );
  const primaryEndpoints = BASE_PORTS.primaryClient.map((p) => url(at(p))).join(',');
  const standbyEndpoint = url(at(BASE_PORTS.standbyClient));
  if (options.standby) {
    storeMember(
      'standby',
      'standby-1',
      at(BASE_PORTS.standbyClient),
      at(BASE_PORTS.standbyPeer),
      `standby-1=${url(at(BASE_PORTS.standbyPeer))}`,
    );
  }
  if (!options.registry) return specs;

  const registryUrl = url(at(BASE_PORTS.registry));
  specs.push({
    name: 'registry',
    command: node,
    args: [
      join(root, 'apps/registry/bin/skyroad-registry.js'),
      '--port',
      String(at(BASE_PORTS.registry)),
      '--store-endpoints',
      primaryEndpoints,
      ...(options.standby ? ['--standby-store-endpoints', standbyEndpoint] : []),
      ...(options.redisUrl ? ['--redis-url', options.redisUrl] : []),
      '--database-url',
      `sqlite:${data('registry.sqlite')}`,
    ],
    // Every request is logged at info; the launcher's terminal shows warnings unless asked.
    env: { SKYROAD_LOG_LEVEL: process.env['SKYROAD_LOG_LEVEL'] ?? 'warn' },
    healthUrl: `${registryUrl}/health`,
    url: { label: 'registry API', href: `${registryUrl}/docs` },
    stage: STAGE_REGISTRY,
  });

  if (options.console) {
    const consolePort = at(BASE_PORTS.console);
    specs.push({
      name: 'console',
      command: node,
      args: [
        join(root, 'node_modules/next/dist/bin/next'),
        'start',
        '--port',
        String(consolePort),
        '--hostname',
        '127.0.0.1',
      ],
      cwd: join(root, 'apps/console'),
      env: { SKYROAD_REGISTRY_URL: registryUrl, NEXT_TELEMETRY_DISABLED: '1' },
      healthUrl: `${url(consolePort)}/api/health`,
      url: { label: 'console', href: `${url(consolePort)}/services` },
      stage: STAGE_CONSOLE_AND_PAYMENTS,
    });
  }

  if (options.demo) {
    const demo = (
      name: string,
      role: string,
      port: number,
      stage: number,
      extra: string[] = [],
    ): ProcessSpec => ({
      name,
      command: node,
      args: [
        join(root, 'apps/demo/dist/main.js'),
        '--role',
        role,
        '--port',
        String(port),
        '--registry',
        registryUrl,
        ...extra,
      ],
      healthUrl: `${url(port)}/health`,
      stage,
    });
    const first = at(BASE_PORTS.demoFirst);
    specs.push(
      demo('payments-v1', 'payments', first + 1, STAGE_CONSOLE_AND_PAYMENTS, ['--version', 'v1']),
      demo('payments-v2', 'payments', first + 2, STAGE_CONSOLE_AND_PAYMENTS, ['--version', 'v2']),
      demo('orders', 'orders', first + 3, STAGE_ORDERS),
      {
        ...demo('gateway', 'gateway', first, STAGE_GATEWAY),
        url: { label: 'demo gateway', href: `${url(first)}/` },
      },
    );
  }
  return specs;
}
