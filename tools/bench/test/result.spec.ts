import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatTable, writeResult } from '../src/report';
import { ratioOf, row, unavailable, type SuiteResult } from '../src/result';
import { percentile } from '../src/stats';

describe('ratios and targets', () => {
  it('orients the ratio so that above 1 favours Skyroad', () => {
    expect(ratioOf('higher', 100, 250)).toBe(2.5);
    expect(ratioOf('lower', 10, 5)).toBe(2);
    expect(ratioOf('lower', 5, 10)).toBe(0.5);
    expect(ratioOf('higher', null, 5)).toBeNull();
    expect(ratioOf('higher', 0, 5)).toBeNull();
  });

  it('checks a target on the Skyroad value or on the ratio, and not without both sides', () => {
    const a = { name: 'a', value: 100 };
    expect(
      row({
        metric: 'm',
        unit: 'u',
        better: 'higher',
        competitor: a,
        skyroad: { name: 's', value: 1200 },
        target: { on: 'ratio', op: '>=', value: 10 },
      }).targetMet,
    ).toBe(true);
    expect(
      row({
        metric: 'm',
        unit: 'ms',
        better: 'lower',
        competitor: a,
        skyroad: { name: 's', value: 12 },
        target: { on: 'skyroad', op: '<=', value: 10 },
      }).targetMet,
    ).toBe(false);
    const missing = row({
      metric: 'm',
      unit: 'u',
      better: 'higher',
      competitor: a,
      skyroad: unavailable('s', 'not built'),
      target: { on: 'ratio', op: '>=', value: 10 },
    });
    expect(missing.ratio).toBeNull();
    expect(missing.targetMet).toBeNull();
  });

  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('report', () => {
  const result: SuiteResult = {
    suite: 'demo',
    mode: 'quick',
    startedAt: '2026-11-21T06:30:00.000Z',
    finishedAt: '2026-11-21T06:30:01.000Z',
    durationMs: 1000,
    command: 'npm run bench -- demo --quick',
    machine: {
      cpuModel: 'cpu',
      cores: 2,
      memoryBytes: 2 ** 30,
      os: 'Linux',
      node: 'v20',
      etcd: '3.4.23',
      loadAverageAtStart: [1, 1, 1],
    },
    competitor: 'etcd x3',
    skyroad: 'skyroad-store x3',
    rows: [
      row({
        metric: 'writes',
        unit: 'writes/s',
        better: 'higher',
        competitor: { name: 'etcd', value: 2000 },
        skyroad: { name: 's', value: 1000 },
      }),
      row({
        metric: 'count',
        unit: 'ms',
        better: 'lower',
        competitor: { name: 'etcd', value: 8 },
        skyroad: unavailable('s', 'not built'),
      }),
    ],
    notes: [],
  };

  it('prints one line per row with both sides and the ratio', () => {
    const table = formatTable(result).split('\n');
    expect(table).toHaveLength(4);
    expect(table[0]).toContain('etcd x3');
    expect(table[2]).toMatch(/\| writes +\| writes\/s +\| 2,000 +\| 1,000 +\| 0\.50x/);
    expect(table[3]).toContain('n/a (not built)');
  });

  it('writes <suite>-<time>.json and the same under latest/', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skyroad-bench-report-'));
    const written = writeResult(result, dir);
    expect(written.file).toBe(join(dir, 'demo-2026-11-21T06-30-00.000Z.json'));
    expect(written.latest).toBe(join(dir, 'latest', 'demo.json'));
    expect(readFileSync(join(dir, 'latest', 'demo.json'), 'utf8')).toBe(readFileSync(written.file, 'utf8'));
    expect(JSON.parse(readFileSync(written.file, 'utf8'))).toEqual(result);
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves latest/ alone for a partial (--only) run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skyroad-bench-report-'));
    const written = writeResult(result, dir, { latest: false });
    expect(written.latest).toBeNull();
    expect(existsSync(written.file)).toBe(true);
    expect(existsSync(join(dir, 'latest', 'demo.json'))).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });
});
