/*
 * `skyroad-store snapshot status FILE` and `skyroad-store snapshot restore FILE --data-dir DIR`:
 * etcdctl's snapshot subcommands for the files `etcdctl snapshot save` writes from skyroad-store.
 */
import { parseArgs } from 'node:util';
import { hexId } from '../cluster/ids';
import { restoreSnapshot, snapshotStatus, SnapshotFileError, type SnapshotStatus } from './snapshot-file';

export const SNAPSHOT_USAGE = `Usage:
  skyroad-store snapshot status FILE [-w simple|table|json]
      Checks FILE's SHA-256 and prints its key space hash, revision, live keys and size.
  skyroad-store snapshot restore FILE --data-dir DIR [--skip-hash-check]
      Makes DIR (new or empty) the data dir of one member of a NEW cluster holding FILE's keys.
      Restore the same FILE once per member, then start every member on its DIR with the
      --initial-cluster flags of the new cluster and --initial-cluster-state new.
`;

/** Exit codes: 0 done, 1 the file or directory was refused, 2 a bad command line. */
export async function runSnapshotCommand(
  argv: string[],
  out: (text: string) => void,
  err: (text: string) => void,
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'data-dir': { type: 'string' },
        'skip-hash-check': { type: 'boolean', default: false },
        'write-out': { type: 'string', short: 'w', default: 'simple' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    err(`skyroad-store snapshot: ${(error as Error).message}\n${SNAPSHOT_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out(SNAPSHOT_USAGE);
    return 0;
  }
  const [action, file, ...extra] = positionals;
  const usageError = (message: string) => {
    err(`skyroad-store snapshot: ${message}\n${SNAPSHOT_USAGE}`);
    return 2;
  };
  if (!file || extra.length > 0) return usageError('give one action and one FILE');
  try {
    if (action === 'status') {
      const format = values['write-out'];
      if (!['simple', 'table', 'json'].includes(format))
        return usageError(`unknown --write-out ${JSON.stringify(format)}`);
      out(formatStatus(await snapshotStatus(file), format));
      return 0;
    }
    if (action === 'restore') {
      const dataDir = values['data-dir'];
      if (!dataDir) return usageError('restore needs --data-dir');
      const restored = await restoreSnapshot(file, dataDir, values['skip-hash-check']);
      out(`restored snapshot ${file} to ${restored.dataDir} (revision ${restored.revision})\n`);
      return 0;
    }
    return usageError(`unknown action ${JSON.stringify(action)}`);
  } catch (error) {
    if (!(error instanceof SnapshotFileError)) throw error;
    err(`skyroad-store snapshot: ${error.message}\n`);
    return 1;
  }
}

/** etcdctl's formats: `hash, revision, keys, size` (simple), a table, or JSON. */
function formatStatus(s: SnapshotStatus, format: string): string {
  const size = humanBytes(s.totalSize);
  const hash = hexId(s.hash);
  if (format === 'json') return `${JSON.stringify(s)}\n`;
  if (format === 'simple') return `${hash}, ${s.revision}, ${s.totalKey}, ${size}\n`;
  const header = ['HASH', 'REVISION', 'TOTAL KEYS', 'TOTAL SIZE'];
  const row = [hash, String(s.revision), String(s.totalKey), size];
  const widths = header.map((h, i) => Math.max(h.length, row[i].length));
  const line = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+\n`;
  const cells = (values: string[]) => `|${values.map((v, i) => ` ${v.padStart(widths[i])} `).join('|')}|\n`;
  return line + cells(header) + line + cells(row) + line;
}

/** Sizes as etcdctl prints them (go-humanize, SI units: 2.1 MB). */
function humanBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}
