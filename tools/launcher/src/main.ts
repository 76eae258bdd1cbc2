import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseOptions, UsageError, USAGE, type LauncherOptions } from './options';
import { Supervisor } from './supervisor';
import { buildTopology, type ProcessSpec } from './topology';

const root = resolve(__dirname, '..', '..', '..');
const log = (text: string) => process.stdout.write(`[skyroad] ${text}\n`);

/** The Nx projects whose builds the chosen topology runs. */
function projectsToBuild(options: LauncherOptions): string[] {
  const projects: string[] = [];
  if (options.store === 'skyroad') projects.push('store');
  if (options.registry) projects.push('registry');
  if (options.console) projects.push('console');
  if (options.demo) projects.push('demo');
  return projects;
}

function build(projects: string[]): void {
  if (projects.length === 0) return;
  log(`building ${projects.join(', ')} (cached builds are reused) ...`);
  const result = spawnSync(
    join(root, 'node_modules/.bin/nx'),
    ['run-many', '-t', 'build', `--projects=${projects.join(',')}`, '--output-style=stream'],
    { cwd: root, stdio: 'inherit', env: { ...process.env, NX_DAEMON: 'false' } },
  );
  if (result.status !== 0) throw new Error('build failed (see above)');
}

function printSummary(specs: ProcessSpec[], options: LauncherOptions): void {
  const lines = ['', 'Skyroad is up:'];
  for (const spec of specs) if (spec.url) lines.push(`  ${spec.url.label.padEnd(14)} ${spec.url.href}`);
  const stores = specs.filter((s) => s.stage === 0).map((s) => s.healthUrl.replace('/health', ''));
  lines.push(`  ${'store members'.padEnd(14)} ${stores.join(' ')}`);
  if (options.console) {
    lines.push(
      process.env['SKYROAD_ADMIN_PASSWORD']
        ? '  sign in as admin with the password in SKYROAD_ADMIN_PASSWORD'
        : '  sign in as admin with the password the registry printed at its first start (above, or in an earlier run)',
    );
  }
  lines.push(`  data kept in ${resolve(root, options.dataDir)}; Ctrl-C stops everything`, '');
  process.stdout.write(lines.join('\n') + '\n');
}

async function main(): Promise<number> {
  let options: LauncherOptions;
  try {
    const parsed = parseOptions(process.argv.slice(2), process.env);
    if (parsed === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    options = parsed;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`skyroad start: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw error;
  }

  if (options.build) build(projectsToBuild(options));
  mkdirSync(resolve(root, options.dataDir), { recursive: true });
  const specs = buildTopology(options, root);
  const supervisor = new Supervisor({ line: (text) => process.stdout.write(`${text}\n`) });
  process.once('exit', () => supervisor.killAllNow());

  let resolveDone: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (resolveDone = resolve));
  let stopping = false;
  const stop = async (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    log(`${reason}: stopping everything ...`);
    await supervisor.stopAll();
    log('stopped; every process has exited');
    resolveDone(code);
  };
  process.on('SIGINT', () => void stop('Ctrl-C', 0));
  process.on('SIGTERM', () => void stop('SIGTERM', 0));
  supervisor.onUnexpectedExit = (name, code, signal) =>
    void stop(`${name} exited (code ${code}, signal ${signal})`, 1);

  try {
    await supervisor.startAll(specs);
    printSummary(specs, options);
  } catch (error) {
    await stop(`start failed: ${(error as Error).message}`, 1);
  }
  return done;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`skyroad start: ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);
