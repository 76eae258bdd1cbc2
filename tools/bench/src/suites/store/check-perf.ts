import { execFile } from 'node:child_process';
import { etcdctlBinary } from '../../machine';

/** `check perf --load=l` runs 60 s; a cluster that stops answering must not hold the suite. */
const CHECK_PERF_TIMEOUT_MS = 180_000;

/** Runs the real `etcdctl check perf` and reads its verdicts. */
export function checkPerf(endpoints: readonly string[], load: 's' | 'l'): Promise<Array<[string, number]>> {
  return new Promise((resolve, reject) => {
    execFile(
      etcdctlBinary(),
      [`--endpoints=${endpoints.join(',')}`, 'check', 'perf', `--load=${load}`],
      { env: { ...process.env, ETCDCTL_API: '3' }, timeout: CHECK_PERF_TIMEOUT_MS, maxBuffer: 16 * 2 ** 20 },
      (error, stdout, stderr) => {
        const out = `${stdout}\n${stderr}`;
        const throughput = /Throughput (?:is|too low:) (\d+(?:\.\d+)?) writes\/s/.exec(out)?.[1];
        const slowest = /Slowest request took (?:too long: )?(\d+(?:\.\d+)?)s/.exec(out)?.[1];
        if (throughput === undefined || slowest === undefined) {
          reject(new Error(`etcdctl check perf gave no verdict: ${whyNoVerdict(error, stdout, stderr)}`));
          return;
        }
        const pass = /^\s*PASS\s*$/m.test(out) ? 1 : 0;
        resolve([
          ['perf-throughput', Number(throughput)],
          ['perf-slowest', Number(slowest) * 1000],
          ['perf-pass', pass],
        ]);
      },
    );
  });
}

/**
 * One line saying why etcdctl stopped without a verdict: its exit, what it printed on stderr
 * (where it reports a failed request) and the end of its stdout, without the progress bar.
 */
function whyNoVerdict(
  error: (Error & { code?: unknown; signal?: unknown }) | null,
  stdout: string,
  stderr: string,
): string {
  const exit = error ? `exit ${String(error.code ?? error.signal ?? '?')}` : 'exit 0';
  const lines = (text: string) =>
    text
      .split(/[\r\n]+/)
      .map((line) => line.replace(/^.*\d+ \/ \d+\s+[\d.]+%\s*(?:\S+)?\s*/, '').trim())
      .filter(Boolean);
  const said = [...lines(stderr).slice(-3), ...lines(stdout).slice(-2)].join(' | ');
  return `${exit}: ${said || 'nothing printed'}`.slice(0, 400);
}
