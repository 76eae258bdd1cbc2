export type DemoRole = 'gateway' | 'orders' | 'payments';

export interface DemoOptions {
  role: DemoRole;
  port: number;
  host: string;
  /** The host other services use to reach this one (the registry records it). */
  advertiseHost: string;
  /** API token for the registry, when it requires one. */
  token?: string;
  registry: string[];
  namespace: string;
  /** The payments version this process announces in its metadata (v1, v2, ...). */
  version: string;
  /** Gateway only: how often the built-in traffic generator sends an order (0 = off). */
  trafficIntervalMs: number;
}

export const USAGE = `Usage: skyroad-demo --role gateway|orders|payments --port N [flags]
  --registry URL[,URL]   registry URL(s) (SKYROAD_REGISTRY_URL, default http://127.0.0.1:7070)
  --namespace NS         namespace (default "default")
  --version V            version in the instance metadata (default v1)
  --host H               host to listen on (default 127.0.0.1)
  --advertise-host H     host registered for others to call (default: --host)
  --token T              registry API token (SKYROAD_TOKEN)
  --traffic-interval MS  gateway: send an order every MS milliseconds (default 250, 0 = off)`;

const ROLES: readonly DemoRole[] = ['gateway', 'orders', 'payments'];
const DEFAULT_TRAFFIC_INTERVAL_MS = 250;

export function parseDemoOptions(argv: string[], env: NodeJS.ProcessEnv): DemoOptions {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`);
    const eq = arg.indexOf('=');
    if (eq > 0) values.set(arg.slice(2, eq), arg.slice(eq + 1));
    else {
      const value = argv[++i];
      if (value === undefined) throw new Error(`${arg} needs a value`);
      values.set(arg.slice(2), value);
    }
  }
  const known = new Set([
    'role',
    'port',
    'host',
    'registry',
    'namespace',
    'version',
    'traffic-interval',
    'advertise-host',
    'token',
  ]);
  for (const key of values.keys()) if (!known.has(key)) throw new Error(`unknown flag --${key}`);
  const role = values.get('role') as DemoRole | undefined;
  if (!role || !ROLES.includes(role)) throw new Error(`--role must be one of ${ROLES.join(', ')}`);
  const port = Number(values.get('port'));
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error('--port must be 1..65535');
  const trafficIntervalMs = Number(values.get('traffic-interval') ?? DEFAULT_TRAFFIC_INTERVAL_MS);
  if (!Number.isFinite(trafficIntervalMs) || trafficIntervalMs < 0)
    throw new Error('--traffic-interval must be >= 0');
  return {
    role,
    port,
    host: values.get('host') ?? '127.0.0.1',
    advertiseHost: values.get('advertise-host') ?? values.get('host') ?? '127.0.0.1',
    token: values.get('token') ?? env['SKYROAD_TOKEN'],
    registry: (values.get('registry') ?? env['SKYROAD_REGISTRY_URL'] ?? 'http://127.0.0.1:7070').split(','),
    namespace: values.get('namespace') ?? 'default',
    version: values.get('version') ?? 'v1',
    trafficIntervalMs,
  };
}
