/**
 * npm run bench -- <suite> [--quick] [--out DIR]
 * Runs one suite (competitor and Skyroad in the same run), prints a table, writes
 * DIR/<suite>-<ISO time>.json and copies it to DIR/latest/<suite>.json (DIR: bench-results/).
 */
import { join } from 'node:path';
import { describeMachine } from './machine';
import { formatMachine, formatTable, writeResult } from './report';
import type { SuiteResult } from './result';
import { SuiteUnavailableError, type Suite } from './suite';
import { REGISTRY_GROUPS, registrySuite } from './suites/registry/registry-suite';
import { sdkSuite } from './suites/sdk/sdk-suite';
import { STORE_GROUPS, storeSuite } from './suites/store/store-suite';
import { stopAllProcesses } from './cluster/processes';

const SUITES: readonly Suite[] = [sdkSuite, registrySuite, storeSuite];

/** The repository root, from tools/bench/dist. */
const REPO_ROOT = join(__dirname, '..', '..', '..');

const EXIT_USAGE = 64;
const EXIT_UNAVAILABLE = 2;

type StoreName = 'etcd' | 'skyroad-store';
const STORES: readonly StoreName[] = ['etcd', 'skyroad-store'];

interface Args {
  suite: string;
  quick: boolean;
  out: string;
  stores: StoreName[];
  checkPerf: boolean;
  only: Set<string> | null;
}

function usage(): string {
  return [
    'usage: npm run bench -- <suite> [--quick] [--out DIR]',
    '',
    ...SUITES.map((s) => `  ${s.name.padEnd(9)} ${s.description}`),
    '',
    '  --quick   a short run (seconds), for tests and smoke checks',
    '  --out     where results go (default bench-results/ at the repository root)',
    '  --stores  for registry and store: etcd,skyroad-store (default both; etcd always runs)',
    '  --no-check-perf  store: skip etcdctl check perf (--load=s in --quick, l in full; 60 s per store)',
    '  --only    run some measurement groups only (not copied to latest/):',
    `            store: ${STORE_GROUPS.join(',')}; registry: ${REGISTRY_GROUPS.join(',')}`,
  ].join('\n');
}

function parseArgs(argv: readonly string[]): Args | string {
  let suite: string | undefined;
  let quick = false;
  let stores: StoreName[] = [...STORES];
  let checkPerf = true;
  let only: Set<string> | null = null;
  let out = process.env['SKYROAD_BENCH_OUT'] ?? join(REPO_ROOT, 'bench-results');
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') quick = true;
    else if (arg === '--out') {
      const dir = argv[++i];
      if (!dir) return '--out needs a directory';
      out = dir;
    } else if (arg === '--stores') {
      const list = (argv[++i] ?? '').split(',').filter(Boolean);
      const unknown = list.find((s) => !STORES.includes(s as StoreName));
      if (list.length === 0 || unknown !== undefined)
        return `--stores takes a list of ${STORES.join(', ')}${unknown ? ` (not ${unknown})` : ''}`;
      stores = [...new Set<StoreName>(['etcd', ...(list as StoreName[])])];
    } else if (arg === '--only') {
      const list = (argv[++i] ?? '').split(',').filter(Boolean);
      if (list.length === 0) return '--only takes a list of measurement groups';
      only = new Set(list);
    } else if (arg === '--no-check-perf') checkPerf = false;
    else if (arg === '--help' || arg === '-h') return '';
    else if (arg.startsWith('-')) return `unknown option ${arg}`;
    else if (suite === undefined) suite = arg;
    else return `one suite at a time (got ${suite} and ${arg})`;
  }
  if (suite === undefined) return 'which suite?';
  if (only !== null) {
    const known: readonly string[] =
      suite === 'store' ? STORE_GROUPS : suite === 'registry' ? REGISTRY_GROUPS : [];
    const unknown = [...only].find((g) => !known.includes(g));
    if (unknown !== undefined)
      return `--only for ${suite} takes ${known.length ? known.join(', ') : 'nothing'} (not ${unknown})`;
  }
  return { suite, quick, out, stores, checkPerf, only };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (typeof args === 'string') {
    process.stderr.write(`${args ? `${args}\n\n` : ''}${usage()}\n`);
    return args ? EXIT_USAGE : 0;
  }
  const suite = SUITES.find((s) => s.name === args.suite);
  if (!suite) {
    process.stderr.write(`unknown suite ${JSON.stringify(args.suite)}\n\n${usage()}\n`);
    return EXIT_USAGE;
  }
  const machine = describeMachine();
  const started = new Date();
  const log = (message: string): void => void process.stderr.write(`[bench ${suite.name}] ${message}\n`);
  log(`${args.quick ? 'quick' : 'full'} run on ${machine.cpuModel} x${machine.cores}`);
  try {
    const outcome = await suite.run({
      quick: args.quick,
      stores: args.stores,
      checkPerf: args.checkPerf,
      only: args.only,
      log,
    });
    const finished = new Date();
    const result: SuiteResult = {
      suite: suite.name,
      mode: args.quick ? 'quick' : 'full',
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      durationMs: finished.getTime() - started.getTime(),
      command: `npm run bench -- ${process.argv
        .slice(2)
        .filter((a, i, all) => a !== '--out' && all[i - 1] !== '--out')
        .join(' ')}`,
      machine,
      ...outcome,
    };
    const written = writeResult(result, args.out, { latest: args.only === null });
    process.stdout.write(
      `\n## ${suite.name} (${result.mode})\n\n${formatTable(result)}\n\nmachine: ${formatMachine(result)}\n` +
        result.notes.map((n) => `note: ${n}\n`).join('') +
        `\nwritten: ${written.file}\n${written.latest ? `         ${written.latest}\n` : '         (partial run: latest/ left as it was)\n'}`,
    );
    return 0;
  } catch (error) {
    if (error instanceof SuiteUnavailableError) {
      process.stderr.write(`bench ${suite.name}: cannot run: ${error.message}\n`);
      return EXIT_UNAVAILABLE;
    }
    throw error;
  } finally {
    await stopAllProcesses();
  }
}

main().then(
  (code) => process.exit(code),
  async (error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    await stopAllProcesses();
    process.exit(1);
  },
);
