import { expectTable, expectWellFormed, readResult, runBench } from './run-bench';

describe('bench sdk --quick', () => {
  it('measures the baseline and the current pick side by side and writes the JSON', async () => {
    const run = await runBench(['sdk', '--quick']);
    expect(run.stderr).not.toContain('bench failed');
    expect(run.code).toBe(0);
    const result = readResult(run.out, 'sdk');
    expectWellFormed(result, 'sdk');
    expectTable(run.stdout, result);
    const sdk = result.rows.find((r) => r.metric === 'Skyroad.pick (SDK) round_robin')!;
    expect(sdk.unit).toBe('picks/s');
    expect(sdk.competitor.value).toBeGreaterThan(0);
    expect(sdk.skyroad.value).toBeGreaterThan(0);
    expect(sdk.ratio).not.toBeNull();
    expect(sdk.target).toEqual({ on: 'skyroad', op: '>=', value: 1_000_000 });
    expect(typeof sdk.targetMet).toBe('boolean');
    // One throughput row and one allocation row per strategy, plus the SDK's two.
    expect(result.rows.filter((r) => r.metric.startsWith('PolicyRouter.pick'))).toHaveLength(12);
    const allocation = result.rows.filter((r) => r.unit === 'bytes/pick');
    expect(allocation).toHaveLength(7);
    for (const r of allocation) expect(r.better).toBe('lower');
  }, 90_000);
});
