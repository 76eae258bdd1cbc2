import { FlagError } from './flags';

const MS_PER_HOUR = 3_600_000;
const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: MS_PER_HOUR };

/** "1h", "30m", "1h30m", "90s" or a plain number of hours (etcd's --auto-compaction-retention). */
export function parseRetentionMs(raw: string): number {
  if (/^\d+(\.\d+)?$/.test(raw)) return Number(raw) * MS_PER_HOUR;
  const parts = [...raw.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== raw) {
    throw new FlagError(
      `invalid --auto-compaction-retention "${raw}": use e.g. 1h, 30m or a number of hours`,
    );
  }
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * DURATION_UNITS_MS[unit], 0);
}
