import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SuiteResult } from '../src/result';

export const MAIN = join(__dirname, '..', 'dist', 'main.js');

const outDirs: string[] = [];
afterAll(() => {
  for (const dir of outDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export interface BenchRun {
  code: number | null;
  stdout: string;
  stderr: string;
  out: string;
}

/** Runs the built CLI (`node dist/main.js ...`) with results going to a fresh temp dir. */
export function runBench(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 90_000,
): Promise<BenchRun> {
  const out = mkdtempSync(join(tmpdir(), 'skyroad-bench-test-'));
  outDirs.push(out);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, ...args, '--out', out],
      { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 16 * 2 ** 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr, out });
      },
    );
  });
}

/** The run's one timestamped result file, as text (partial runs write only this one). */
export function readStamped(out: string, suite: string): string {
  const stamped = readdirSync(out).filter((f) => f.startsWith(`${suite}-`) && f.endsWith('.json'));
  expect(stamped).toHaveLength(1);
  expect(stamped[0]).toMatch(
    new RegExp(`^${suite}-\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2}\\.\\d{3}Z\\.json$`),
  );
  return readFileSync(join(out, stamped[0]), 'utf8');
}

/** The JSON a run wrote: the timestamped file and its copy under latest/ must be the same. */
export function readResult(out: string, suite: string): SuiteResult {
  const latest = readFileSync(join(out, 'latest', `${suite}.json`), 'utf8');
  expect(readStamped(out, suite)).toBe(latest);
  return JSON.parse(latest) as SuiteResult;
}

/** What every result must carry: the machine, and rows whose ratio follows from both sides. */
export function expectWellFormed(result: SuiteResult, suite: string): void {
  expect(result.suite).toBe(suite);
  expect(result.mode).toBe('quick');
  expect(result.machine.cores).toBeGreaterThan(0);
  expect(result.machine.cpuModel).toEqual(expect.any(String));
  expect(result.machine.memoryBytes).toBeGreaterThan(0);
  expect(result.machine.node).toBe(process.version);
  expect(result.rows.length).toBeGreaterThan(0);
  for (const r of result.rows) {
    if (r.competitor.value === null || r.skyroad.value === null) {
      expect(r.ratio).toBeNull();
      continue;
    }
    const expected =
      r.better === 'higher' ? r.skyroad.value / r.competitor.value : r.competitor.value / r.skyroad.value;
    expect(r.ratio).toBeCloseTo(expected, 9);
  }
}

/** The printed table has a header naming both sides and one line per row of the JSON. */
export function expectTable(stdout: string, result: SuiteResult): void {
  const lines = stdout.split('\n').filter((l) => l.startsWith('| '));
  expect(lines[0]).toContain(result.competitor);
  expect(lines[0]).toContain(result.skyroad);
  expect(lines[0]).toContain('ratio');
  expect(lines).toHaveLength(result.rows.length + 1);
  for (const r of result.rows) expect(stdout).toContain(`| ${r.metric} `);
}
