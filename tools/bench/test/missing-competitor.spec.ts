import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runBench } from './run-bench';

describe('a suite whose competitor is missing', () => {
  for (const suite of ['store', 'registry']) {
    it(`${suite}: fails with exit code 2 and says which binary is missing`, async () => {
      const run = await runBench([suite, '--quick'], { SKYROAD_BENCH_ETCD_BIN: '/nonexistent/etcd' });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`bench ${suite}: cannot run`);
      expect(run.stderr).toContain('/nonexistent/etcd');
      expect(existsSync(join(run.out, 'latest', `${suite}.json`))).toBe(false);
    });
  }

  it('refuses an unknown suite with the usage', async () => {
    const run = await runBench(['nope']);
    expect(run.code).toBe(64);
    expect(run.stderr).toContain('unknown suite "nope"');
    expect(run.stderr).toContain('usage: npm run bench -- <suite>');
  });
});
