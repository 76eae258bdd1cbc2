/** What `npm start` brings up, from flags and environment variables. */
export interface LauncherOptions {
  /** Which store runs the clusters: our own skyroad-store, or Debian's etcd for comparison. */
  store: 'skyroad' | 'etcd';
  standby: boolean;
  registry: boolean;
  console: boolean;
  demo: boolean;
  /** Added to every port, so a second platform (a test, a demo) can run beside the first. */
  portOffset: number;
  dataDir: string;
  redisUrl?: string;
  /** Skip the build step (the test and CI build once beforehand). */
  build: boolean;
}

export const USAGE = `Usage: npm start -- [flags]

Brings up the local Skyroad platform: a 3-member primary store cluster, a 1-member standby,
the registry, the console and demo services. Ctrl-C stops everything.

Flags (environment variable in brackets):
  --store skyroad|etcd   which store runs the clusters (SKYROAD_START_STORE, default skyroad)
  --no-standby           no standby cluster (SKYROAD_START_STANDBY=0)
  --no-registry          stores only; implies --no-console --no-demo
  --no-console           no console (SKYROAD_START_CONSOLE=0)
  --no-demo              no demo services (SKYROAD_START_DEMO=0)
  --port-offset N        add N to every port (SKYROAD_PORT_OFFSET, default 0)
  --data-dir DIR         where data is kept between runs (SKYROAD_DATA_DIR, default .data)
  --no-build             do not build first (SKYROAD_START_BUILD=0)
  --help                 this text
SKYROAD_REDIS_URL turns on the registry's Redis cache; SKYROAD_ADMIN_PASSWORD sets the first
admin's password (otherwise the registry prints a random one at first start).`;

export class UsageError extends Error {}

const MAX_PORT_OFFSET = 20_000;

function envFlag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  return !['0', 'false', 'no', 'off'].includes(value.toLowerCase());
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): LauncherOptions | 'help' {
  const options: LauncherOptions = {
    store: env['SKYROAD_START_STORE'] === 'etcd' ? 'etcd' : 'skyroad',
    standby: envFlag(env, 'SKYROAD_START_STANDBY', true),
    registry: true,
    console: envFlag(env, 'SKYROAD_START_CONSOLE', true),
    demo: envFlag(env, 'SKYROAD_START_DEMO', true),
    portOffset: Number(env['SKYROAD_PORT_OFFSET'] ?? 0),
    dataDir: env['SKYROAD_DATA_DIR'] ?? '.data',
    redisUrl: env['SKYROAD_REDIS_URL'] || undefined,
    build: envFlag(env, 'SKYROAD_START_BUILD', true),
  };
  const args = [...argv];
  const valueOf = (flag: string, inline: string | undefined): string => {
    const value = inline ?? args.shift();
    if (value === undefined || value.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return value;
  };
  while (args.length > 0) {
    const arg = args.shift() as string;
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    switch (flag) {
      case '--help':
      case '-h':
        return 'help';
      case '--store': {
        const store = valueOf(flag, inline);
        if (store !== 'skyroad' && store !== 'etcd')
          throw new UsageError(`--store must be skyroad or etcd, not "${store}"`);
        options.store = store;
        break;
      }
      case '--no-standby':
        options.standby = false;
        break;
      case '--no-registry':
        options.registry = false;
        break;
      case '--no-console':
        options.console = false;
        break;
      case '--no-demo':
        options.demo = false;
        break;
      case '--no-build':
        options.build = false;
        break;
      case '--port-offset':
        options.portOffset = Number(valueOf(flag, inline));
        break;
      case '--data-dir':
        options.dataDir = valueOf(flag, inline);
        break;
      default:
        throw new UsageError(`unknown flag ${arg}`);
    }
  }
  if (
    !Number.isInteger(options.portOffset) ||
    options.portOffset < 0 ||
    options.portOffset > MAX_PORT_OFFSET
  ) {
    throw new UsageError(`--port-offset must be an integer from 0 to ${MAX_PORT_OFFSET}`);
  }
  if (!options.registry) {
    options.console = false;
    options.demo = false;
  }
  return options;
}
