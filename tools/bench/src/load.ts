import { nowMs, summarize, type LatencySummary } from './stats';

export interface ClosedLoopOptions {
  /** Requests in flight at any time (each worker waits for its answer before the next). */
  readonly concurrency: number;
  /** Stop after this long... */
  readonly durationMs?: number;
  /** ...or after this many operations, whichever comes first. */
  readonly total?: number;
  /** One operation; `seq` numbers them from 0. */
  readonly op: (seq: number) => Promise<void>;
}

export interface LoadResult {
  readonly operations: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly seconds: number;
  readonly opsPerSecond: number;
  readonly latency: LatencySummary;
}

/** Runs `op` from `concurrency` workers in a closed loop and measures throughput and latency. */
export async function closedLoop(options: ClosedLoopOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  let seq = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = nowMs();
  const deadline = options.durationMs === undefined ? Infinity : started + options.durationMs;
  const total = options.total ?? Infinity;
  const worker = async (): Promise<void> => {
    while (seq < total && nowMs() < deadline) {
      const n = seq++;
      const t0 = nowMs();
      try {
        await options.op(n);
        latencies.push(nowMs() - t0);
      } catch (error) {
        errors += 1;
        firstError ??= String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const seconds = (nowMs() - started) / 1000;
  return {
    operations: latencies.length,
    errors,
    firstError,
    seconds,
    opsPerSecond: latencies.length / seconds,
    latency: summarize(latencies),
  };
}

/** Fails loudly when most operations of a run failed (the figures would mean nothing). */
export function assertMostlySucceeded(what: string, result: LoadResult): void {
  if (result.operations === 0 || result.errors > result.operations)
    throw new Error(
      `${what}: ${result.errors} errors, ${result.operations} successes; first error: ${result.firstError}`,
    );
}
