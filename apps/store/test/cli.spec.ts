import { useProcessSet } from '@skyroad/testkit';
import { STORE_BIN } from './support/store-cluster';

/** The command line as a user meets it: bad flags are refused before anything starts. */
const processes = useProcessSet();

async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const p = await processes.spawn({
    name: 'skyroad-store-cli',
    command: process.execPath,
    args: [STORE_BIN, ...args],
    env,
  });
  const status = await p.exited;
  return { code: status.code, output: p.logTail() };
}

it('refuses an unknown flag with a clear message and usage', async () => {
  const { code, output } = await run(['--data-dri', '/tmp/x']);
  expect(code).toBe(2);
  expect(output).toContain('skyroad-store: unknown flag --data-dri');
  expect(output).toContain('--data-dir');
});

it('refuses a bad SKYROAD_STORE_ variable', async () => {
  const { code, output } = await run([], { SKYROAD_STORE_HEARTBEAT_INTERVAL: 'soon' });
  expect(code).toBe(2);
  expect(output).toContain('invalid value "soon" for flag --heartbeat-interval');
});

it('prints usage for --help', async () => {
  const { code, output } = await run(['--help']);
  expect(code).toBe(0);
  expect(output).toMatch(/--initial-cluster-state\s+new or existing \(default new\)/);
});
