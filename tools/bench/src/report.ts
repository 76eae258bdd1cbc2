import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResultRow, Side, SuiteResult } from './result';

/** Unit of a verdict row: 1 is PASS, 0 is FAIL. */
export const PASS_FAIL_UNIT = 'pass/fail';

/** A number as people read it: thousands separated, a few significant digits for small ones. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(2);
}

function formatSide(side: Side, unit: string): string {
  if (side.value === null) return `n/a (${side.note ?? 'not measured'})`;
  if (unit === PASS_FAIL_UNIT) return side.value > 0 ? 'PASS' : 'FAIL';
  return formatNumber(side.value);
}

function formatRatio(row: ResultRow): string {
  return row.ratio === null ? 'n/a' : `${row.ratio >= 10 ? row.ratio.toFixed(0) : row.ratio.toFixed(2)}x`;
}

function formatTarget(row: ResultRow): string {
  if (!row.target) return '';
  const subject = row.target.on === 'ratio' ? 'ratio' : 'skyroad';
  const verdict = row.targetMet === null ? '?' : row.targetMet ? 'met' : 'MISSED';
  return `${subject} ${row.target.op} ${formatNumber(row.target.value)}: ${verdict}`;
}

/** Markdown table (also readable in a terminal): one row per metric, both sides and the ratio. */
export function formatTable(result: SuiteResult): string {
  const header = [
    'metric',
    'unit',
    result.competitor,
    result.skyroad,
    'ratio (>1: Skyroad better)',
    'target',
  ];
  const body = result.rows.map((r) => [
    r.metric,
    r.unit,
    formatSide(r.competitor, r.unit),
    formatSide(r.skyroad, r.unit),
    formatRatio(r),
    formatTarget(r),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

export function formatMachine(result: SuiteResult): string {
  const m = result.machine;
  return (
    `${m.cpuModel}, ${m.cores} cores, ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB, ${m.os}, ` +
    `node ${m.node}, etcd ${m.etcd ?? 'not installed'}, load ${m.loadAverageAtStart.join(' ')}`
  );
}

/**
 * Writes `<dir>/<suite>-<ISO time>.json` and copies it to `<dir>/latest/<suite>.json`;
 * returns both paths.
 */
export function writeResult(
  result: SuiteResult,
  dir: string,
  options: { latest: boolean } = { latest: true },
): { file: string; latest: string | null } {
  mkdirSync(join(dir, 'latest'), { recursive: true });
  const stamp = result.startedAt.replace(/:/g, '-');
  const file = join(dir, `${result.suite}-${stamp}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  if (!options.latest) return { file, latest: null };
  const latest = join(dir, 'latest', `${result.suite}.json`);
  copyFileSync(file, latest);
  return { file, latest };
}
