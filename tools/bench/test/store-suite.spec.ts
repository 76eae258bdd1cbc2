import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SuiteResult } from '../src/result';
import { expectTable, readStamped, runBench } from './run-bench';

describe('bench store --quick on real etcd and real skyroad-store', () => {
  it('takes each measurement on both clusters one right after the other, alternating which goes first, writes and reads twice (A B B A)', async () => {
    const run = await runBench(
      ['store', '--quick', '--no-check-perf', '--only', 'write,read,election'],
      {},
      240_000,
    );
    expect(run.stderr).not.toContain('bench failed');
    expect(run.code).toBe(0);
    const result = JSON.parse(readStamped(run.out, 'store')) as SuiteResult;
    expectTable(run.stdout, result);
    expect(result.rows.map((r) => r.metric)).toEqual([
      'put 256 B, 1 clients',
      'put latency p50, 1 clients',
      'put latency p99, 1 clients',
      'put 256 B, 64 clients',
      'put latency p50, 64 clients',
      'put latency p99, 64 clients',
      'put 256 B, 500 clients',
      'put latency p50, 500 clients',
      'put latency p99, 500 clients',
      'linearizable get, 64 clients',
      'serializable get, 64 clients',
      'leader re-election after SIGKILL of the leader',
    ]);
    for (const r of result.rows) {
      expect(r.competitor.value).toBeGreaterThan(0);
      expect(r.skyroad.value).toBeGreaterThan(0);
      expect(r.ratio).toBeGreaterThan(0);
      // Writes and reads ran twice on each store: the figure is the mean of the two runs.
      const twice = r.metric !== 'leader re-election after SIGKILL of the leader';
      for (const side of [r.competitor, r.skyroad]) {
        if (!twice) {
          expect(side.runs).toBeUndefined();
          continue;
        }
        expect(side.runs).toHaveLength(2);
        expect(side.value).toBeCloseTo((side.runs![0] + side.runs![1]) / 2, 9);
      }
    }
    // The order the measurements ran in, from the progress lines: etcd first, then
    // skyroad-store first, and so on, each measurement on both before the next starts.
    const ran = run.stderr
      .split('\n')
      .map((line) => /^\[bench store\] store (etcd|skyroad-store)\b[^:]*: (.*)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => `${m[1]}: ${m[2]}`);
    const pair = (first: string, second: string, what: string) => [`${first}: ${what}`, `${second}: ${what}`];
    // Writes and reads: A B B A, the second run of each store marked as such.
    const abba = (first: string, second: string, what: string) => [
      ...pair(first, second, what),
      ...pair(second, first, `${what} (run 2)`),
    ];
    expect(ran).toEqual([
      // Both clusters are warmed up before the first measurement.
      ...pair('etcd', 'skyroad-store', 'warm-up'),
      ...abba('etcd', 'skyroad-store', 'put, 1 clients'),
      ...abba('skyroad-store', 'etcd', 'put, 64 clients'),
      ...abba('etcd', 'skyroad-store', 'put, 500 clients'),
      ...abba('skyroad-store', 'etcd', 'linearizable get'),
      ...abba('etcd', 'skyroad-store', 'serializable get'),
      ...pair('skyroad-store', 'etcd', 'leader re-election'),
    ]);
    expect(result.notes.join('\n')).toContain('side by side');
    expect(result.notes.join('\n')).toContain('300 ms of unmeasured puts');
  }, 260_000);

  it('still measures etcd when skyroad-store cannot start, and says why its column is empty', async () => {
    // A skyroad-store that is "built" but exits at once.
    const root = mkdtempSync(join(tmpdir(), 'bench-broken-store-'));
    try {
      mkdirSync(join(root, 'bin'));
      mkdirSync(join(root, 'dist'));
      writeFileSync(join(root, 'dist', 'main.js'), '');
      const bin = join(root, 'bin', 'skyroad-store.js');
      writeFileSync(bin, "process.stderr.write('refusing to start\\n'); process.exit(1);\n");
      const run = await runBench(
        ['store', '--quick', '--no-check-perf', '--only', 'write'],
        { SKYROAD_BENCH_STORE_BIN: bin },
        100_000,
      );
      expect(run.code).toBe(0);
      const result = JSON.parse(readStamped(run.out, 'store')) as SuiteResult;
      expect(result.rows).toHaveLength(9);
      for (const r of result.rows) {
        expect(r.competitor.value).toBeGreaterThan(0);
        expect(r.skyroad).toMatchObject({ value: null, note: 'skyroad-store failed' });
        expect(r.ratio).toBeNull();
      }
      // Its start is given up as soon as a member exits, with what the member printed.
      expect(result.notes.join('\n')).toMatch(
        /skyroad-store: could not be measured \(.*the process exited.*refusing to start/,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 120_000);
});
