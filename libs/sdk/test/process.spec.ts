import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { useProcessSet } from '@skyroad/testkit';
import { registryRequest, startPlatform, type Platform } from './support/platform';

const run = promisify(execFile);
const processes = useProcessSet();
const ROOT = resolve(__dirname, '../../..');
let platform: Platform;

beforeAll(async () => {
  platform = await startPlatform(processes);
}, 60_000);

const listed = async (service: string) =>
  (
    (await registryRequest(platform, 'GET', `/v1/namespaces/default/services/${service}/instances`)).body as {
      instances: Array<{ id: string }>;
    }
  ).instances.map((i) => i.id);

describe('a service process', () => {
  it('deregisters on SIGTERM with handleSignals, long before its TTL', async () => {
    const child = await processes.spawn({
      name: 'signal-child',
      command: process.execPath,
      args: [join(__dirname, 'support/signal-child.js')],
      env: { REGISTRY_URL: platform.url },
      ready: async () => (await listed('signals')).length === 1,
    });
    child.signal('SIGTERM');
    const status = await child.exited;
    expect(status.signal ?? status.code).toBe('SIGTERM'); // the signal's own ending, after cleanup
    expect(await listed('signals')).toEqual([]); // TTL is 60 s: only a deregistration explains this
  });
});

describe('the published package', () => {
  it('builds to CommonJS and ESM, and both load', async () => {
    const opts = { cwd: ROOT, timeout: 120_000 };
    await run('npm', ['run', 'build', '--workspace', '@skyroad/governance'], opts);
    await run('npm', ['run', 'build', '--workspace', '@skyroad/sdk'], opts);
    const probe = (kind: string) =>
      `console.log(JSON.stringify({ kind: '${kind}', Skyroad: typeof m.Skyroad, NoInstanceError: typeof m.NoInstanceError, SkyroadModule: typeof n.SkyroadModule }))`;
    const cjs = await run(
      process.execPath,
      ['-e', `const m = require('@skyroad/sdk'); const n = require('@skyroad/sdk/nestjs'); ${probe('cjs')}`],
      opts,
    );
    const esm = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import * as m from '@skyroad/sdk'; import * as n from '@skyroad/sdk/nestjs'; ${probe('esm')}`,
      ],
      opts,
    );
    for (const [out, kind] of [
      [cjs.stdout, 'cjs'],
      [esm.stdout, 'esm'],
    ]) {
      expect(JSON.parse(out)).toEqual({
        kind,
        Skyroad: 'function',
        NoInstanceError: 'function',
        SkyroadModule: 'function',
      });
    }
  }, 150_000);
});
