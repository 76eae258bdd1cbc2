import { expectTable, expectWellFormed, readResult, runBench } from './run-bench';

describe('bench registry --quick on real etcd and the real registry', () => {
  it('puts discovery through the registry next to a range on the store, with ratios', async () => {
    const run = await runBench(['registry', '--quick', '--stores', 'etcd']);
    expect(run.stderr).not.toContain('bench failed');
    expect(run.code).toBe(0);
    const result = readResult(run.out, 'registry');
    expectWellFormed(result, 'registry');
    expectTable(run.stdout, result);
    expect(result.machine.etcd).toMatch(/^\d+\.\d+\.\d+/);
    const metrics = result.rows.map((r) => r.metric);
    for (const prefix of [
      'discovery 100 instances',
      'discovery latency p99',
      'registration, c=',
      'push to 50 watchers p99',
    ])
      expect(metrics.some((m) => m.startsWith(prefix))).toBe(true);
    for (const r of result.rows) {
      expect(r.competitor.value).toBeGreaterThan(0);
      expect(r.skyroad.value).toBeGreaterThan(0);
      expect(r.ratio).toBeGreaterThan(0);
    }
    const discovery = result.rows.find((r) => r.metric.startsWith('discovery 100 instances'))!;
    expect(discovery.target).toEqual({ on: 'ratio', op: '>=', value: 10 });
    expect(result.notes.join('\n')).toContain('skyroad-store: not run');
  }, 90_000);
});
