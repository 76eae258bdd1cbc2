/*
 * skyroad-store's command line, after etcd's: the same flag names, meanings and defaults.
 * Every flag is accepted as `--flag value`, `--flag=value`, or as the environment variable
 * SKYROAD_STORE_<FLAG> (upper case, dashes as underscores); the command line wins.
 */

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 100;
export const DEFAULT_ELECTION_TIMEOUT_MS = 1000;
export const DEFAULT_SNAPSHOT_COUNT = 100_000;
/** etcd's default backend quota: 2 GiB. */
export const DEFAULT_QUOTA_BACKEND_BYTES = 2 * 1024 * 1024 * 1024;
/** etcd's default: 1.5 MiB. */
export const DEFAULT_MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;
export const ENV_PREFIX = 'SKYROAD_STORE_';

export type ClusterState = 'new' | 'existing';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type AutoCompactionMode = 'periodic' | 'revision';

export interface TlsFiles {
  certFile?: string;
  keyFile?: string;
  trustedCaFile?: string;
  clientCertAuth: boolean;
}

export interface StoreConfig {
  name: string;
  dataDir: string;
  listenClientUrls: string[];
  advertiseClientUrls: string[];
  listenPeerUrls: string[];
  initialAdvertisePeerUrls: string[];
  /** name -> peer URLs, from --initial-cluster. */
  initialCluster: Map<string, string[]>;
  initialClusterState: ClusterState;
  initialClusterToken: string;
  heartbeatIntervalMs: number;
  electionTimeoutMs: number;
  snapshotCount: number;
  quotaBackendBytes: number;
  maxRequestBytes: number;
  autoCompactionMode: AutoCompactionMode;
  /** '' means off; periodic: a duration ('1h', '30m', or hours as a number); revision: a count. */
  autoCompactionRetention: string;
  clientTls: TlsFiles;
  peerTls: TlsFiles;
  logLevel: LogLevel;
}

export class FlagError extends Error {}

/** "1h", "30m", "1h30m", "90s" or a plain number of hours. */
function retentionIsValid(raw: string): boolean {
  return /^\d+(\.\d+)?$/.test(raw) || /^(\d+(\.\d+)?(ms|s|m|h))+$/.test(raw);
}

type Kind = 'string' | 'list' | 'int' | 'bool';

interface FlagSpec {
  kind: Kind;
  help: string;
  default?: string;
}

/** Every flag skyroad-store accepts. Anything else is refused. */
export const FLAGS: Record<string, FlagSpec> = {
  name: { kind: 'string', default: 'default', help: 'human-readable name of this member' },
  'data-dir': { kind: 'string', help: 'path to the data directory (default <name>.skyroad)' },
  'listen-client-urls': { kind: 'list', default: 'http://127.0.0.1:2379', help: 'URLs to serve clients on' },
  'advertise-client-urls': { kind: 'list', help: 'client URLs advertised to the cluster' },
  'listen-peer-urls': { kind: 'list', default: 'http://127.0.0.1:2380', help: 'URLs to serve peers on' },
  'initial-advertise-peer-urls': { kind: 'list', help: 'peer URLs advertised to the cluster' },
  'initial-cluster': { kind: 'string', help: 'initial cluster configuration: name=peerURL,...' },
  'initial-cluster-state': { kind: 'string', default: 'new', help: 'new or existing' },
  'initial-cluster-token': { kind: 'string', default: 'etcd-cluster', help: 'initial cluster token' },
  'heartbeat-interval': { kind: 'int', default: `${DEFAULT_HEARTBEAT_INTERVAL_MS}`, help: 'heartbeat (ms)' },
  'election-timeout': {
    kind: 'int',
    default: `${DEFAULT_ELECTION_TIMEOUT_MS}`,
    help: 'election timeout (ms)',
  },
  'snapshot-count': {
    kind: 'int',
    default: `${DEFAULT_SNAPSHOT_COUNT}`,
    help: 'committed entries per snapshot',
  },
  'quota-backend-bytes': {
    kind: 'int',
    default: `${DEFAULT_QUOTA_BACKEND_BYTES}`,
    help: 'backend size alarm',
  },
  'max-request-bytes': {
    kind: 'int',
    default: `${DEFAULT_MAX_REQUEST_BYTES}`,
    help: 'largest client request',
  },
  'auto-compaction-mode': { kind: 'string', default: 'periodic', help: 'periodic or revision' },
  'auto-compaction-retention': { kind: 'string', default: '0', help: 'history kept by auto compaction' },
  'cert-file': { kind: 'string', help: 'client server TLS certificate' },
  'key-file': { kind: 'string', help: 'client server TLS key' },
  'trusted-ca-file': { kind: 'string', help: 'client server TLS trusted CA' },
  'client-cert-auth': { kind: 'bool', default: 'false', help: 'require client certificates' },
  'peer-cert-file': { kind: 'string', help: 'peer TLS certificate' },
  'peer-key-file': { kind: 'string', help: 'peer TLS key' },
  'peer-trusted-ca-file': { kind: 'string', help: 'peer TLS trusted CA' },
  'peer-client-cert-auth': { kind: 'bool', default: 'false', help: 'require peer client certificates' },
  'log-level': { kind: 'string', default: 'info', help: 'debug, info, warn or error' },
};

export function usage(): string {
  const lines = Object.entries(FLAGS).map(
    ([name, spec]) =>
      `  --${name.padEnd(30)} ${spec.help}${spec.default ? ` (default ${spec.default})` : ''}`,
  );
  return (
    `usage: skyroad-store [flags]\n${lines.join('\n')}\n` +
    `\n       skyroad-store snapshot status|restore ... (backups from etcdctl snapshot save; skyroad-store snapshot --help)\n`
  );
}

function envName(flag: string): string {
  return ENV_PREFIX + flag.toUpperCase().replace(/-/g, '_');
}

/** Splits argv into flag -> raw value; refuses unknown flags and missing values. */
function readArgv(argv: readonly string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('-')) throw new FlagError(`unexpected argument "${arg}"`);
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const spec = FLAGS[name];
    if (!spec) throw new FlagError(`unknown flag --${name}`);
    if (eq >= 0) {
      values.set(name, body.slice(eq + 1));
    } else if (spec.kind === 'bool' && (i + 1 >= argv.length || !/^(true|false)$/.test(argv[i + 1]))) {
      values.set(name, 'true');
    } else {
      if (i + 1 >= argv.length) throw new FlagError(`flag --${name} needs a value`);
      values.set(name, argv[++i]);
    }
  }
  return values;
}

function readEnv(env: NodeJS.ProcessEnv): Map<string, string> {
  const values = new Map<string, string>();
  const known = new Set(Object.keys(FLAGS).map(envName));
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith(ENV_PREFIX) || value === undefined) continue;
    if (!known.has(key)) throw new FlagError(`unknown environment variable ${key}`);
    values.set(key.slice(ENV_PREFIX.length).toLowerCase().replace(/_/g, '-'), value);
  }
  return values;
}

function parseInt64(flag: string, raw: string): number {
  if (!/^\d+$/.test(raw.trim()))
    throw new FlagError(`invalid value "${raw}" for flag --${flag}: not a number`);
  return Number(raw.trim());
}

function parseBool(flag: string, raw: string): boolean {
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new FlagError(`invalid value "${raw}" for flag --${flag}: not a boolean`);
}

function parseUrls(flag: string, raw: string): string[] {
  const urls = raw
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  for (const url of urls) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new FlagError(`invalid URL "${url}" for flag --${flag}`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new FlagError(`invalid URL "${url}" for flag --${flag}: scheme must be http or https`);
    }
    if (!parsed.port) throw new FlagError(`invalid URL "${url}" for flag --${flag}: a port is required`);
  }
  return urls;
}

/** `n1=http://a:2380,n2=http://b:2380` -> n1 -> [..], n2 -> [..]. A name may repeat for several URLs. */
export function parseInitialCluster(raw: string): Map<string, string[]> {
  const cluster = new Map<string, string[]>();
  for (const part of raw.split(',').map((p) => p.trim())) {
    if (!part) continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new FlagError(`invalid --initial-cluster entry "${part}": expected name=URL`);
    const name = part.slice(0, eq);
    const urls = parseUrls('initial-cluster', part.slice(eq + 1));
    cluster.set(name, [...(cluster.get(name) ?? []), ...urls]);
  }
  return cluster;
}

function oneOf<T extends string>(flag: string, raw: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new FlagError(`invalid value "${raw}" for flag --${flag}: expected one of ${allowed.join(', ')}`);
  }
  return raw as T;
}

/** Parses the command line (and SKYROAD_STORE_* variables) into a checked configuration. */
export function parseFlags(argv: readonly string[], env: NodeJS.ProcessEnv = {}): StoreConfig {
  const values = new Map([...readEnv(env), ...readArgv(argv)]);
  const raw = (flag: string): string | undefined => values.get(flag) ?? FLAGS[flag].default;
  const str = (flag: string): string => raw(flag) ?? '';
  const int = (flag: string): number => parseInt64(flag, str(flag));
  const bool = (flag: string): boolean => parseBool(flag, str(flag));
  const opt = (flag: string): string | undefined => raw(flag) || undefined;

  const name = str('name');
  const listenClientUrls = parseUrls('listen-client-urls', str('listen-client-urls'));
  const listenPeerUrls = parseUrls('listen-peer-urls', str('listen-peer-urls'));
  const advertiseClientUrls = raw('advertise-client-urls')
    ? parseUrls('advertise-client-urls', str('advertise-client-urls'))
    : listenClientUrls;
  const initialAdvertisePeerUrls = raw('initial-advertise-peer-urls')
    ? parseUrls('initial-advertise-peer-urls', str('initial-advertise-peer-urls'))
    : listenPeerUrls;
  const initialCluster = raw('initial-cluster')
    ? parseInitialCluster(str('initial-cluster'))
    : new Map([[name, initialAdvertisePeerUrls]]);
  if (!initialCluster.has(name)) {
    throw new FlagError(`--initial-cluster has no member named "${name}" (--name)`);
  }
  const heartbeatIntervalMs = int('heartbeat-interval');
  const electionTimeoutMs = int('election-timeout');
  if (heartbeatIntervalMs <= 0) throw new FlagError('--heartbeat-interval must be positive');
  if (electionTimeoutMs < 5 * heartbeatIntervalMs) {
    throw new FlagError('--election-timeout must be at least 5 times --heartbeat-interval');
  }
  const maxRequestBytes = int('max-request-bytes');
  if (maxRequestBytes <= 0) throw new FlagError('--max-request-bytes must be positive');
  const snapshotCount = int('snapshot-count');
  if (snapshotCount <= 0) throw new FlagError('--snapshot-count must be positive');

  const autoCompactionMode = oneOf('auto-compaction-mode', str('auto-compaction-mode'), [
    'periodic',
    'revision',
  ] as const);
  const autoCompactionRetention =
    str('auto-compaction-retention') === '0' ? '' : str('auto-compaction-retention');
  if (autoCompactionRetention) {
    const ok =
      autoCompactionMode === 'revision'
        ? /^\d+$/.test(autoCompactionRetention)
        : retentionIsValid(autoCompactionRetention);
    if (!ok)
      throw new FlagError(`invalid value "${autoCompactionRetention}" for flag --auto-compaction-retention`);
  }

  return {
    name,
    dataDir: raw('data-dir') || `${name}.skyroad`,
    listenClientUrls,
    advertiseClientUrls,
    listenPeerUrls,
    initialAdvertisePeerUrls,
    initialCluster,
    initialClusterState: oneOf('initial-cluster-state', str('initial-cluster-state'), [
      'new',
      'existing',
    ] as const),
    initialClusterToken: str('initial-cluster-token'),
    heartbeatIntervalMs,
    electionTimeoutMs,
    snapshotCount,
    quotaBackendBytes: int('quota-backend-bytes'),
    maxRequestBytes,
    autoCompactionMode,
    autoCompactionRetention,
    clientTls: {
      certFile: opt('cert-file'),
      keyFile: opt('key-file'),
      trustedCaFile: opt('trusted-ca-file'),
      clientCertAuth: bool('client-cert-auth'),
    },
    peerTls: {
      certFile: opt('peer-cert-file'),
      keyFile: opt('peer-key-file'),
      trustedCaFile: opt('peer-trusted-ca-file'),
      clientCertAuth: bool('peer-client-cert-auth'),
    },
    logLevel: oneOf('log-level', str('log-level'), ['debug', 'info', 'warn', 'error'] as const),
  };
}
