import { monitorEventLoopDelay } from 'node:perf_hooks';
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

export interface OpenLoopOptions {
  /** Operations started per second, whatever the answers' pace (a fixed arrival rate). */
  readonly ratePerSecond: number;
  readonly durationMs: number;
  /** One operation; it may queue inside (e.g. for a free connection): that wait is latency too. */
  readonly op: () => Promise<void>;
}

/** How often the open loop starts the operations due (the timer's resolution is about 1 ms). */
const OPEN_LOOP_TICK_MS = 1;

/** How far the load generator itself kept up during an open loop. */
export interface GeneratorLag {
  /** How late each operation was started after its due time (ms). */
  readonly startLate: LatencySummary;
  /** The generator's own event-loop delay p99 (ms): late to start, or to take in an answer. */
  readonly eventLoopDelayP99: number;
}

export interface OpenLoopResult extends LoadResult {
  readonly generator: GeneratorLag;
}

/**
 * Starts `op` at a fixed rate for `durationMs` and waits for all of them. Each latency runs
 * from the moment the operation was due, not from when it was started, so a slow server cannot
 * hide its queue by slowing the generator down (no coordinated omission). Throughput is what
 * completed over the time from the first start to the last answer. The generator's own lag is
 * measured too: its lateness counts in the latencies, so it says how much of them is the
 * generator's rather than the server's.
 */
export async function openLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const latencies: number[] = [];
  const startLate: number[] = [];
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  const inFlight: Promise<void>[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const intervalMs = 1000 / options.ratePerSecond;
  const total = Math.max(1, Math.floor((options.durationMs / 1000) * options.ratePerSecond));
  const started = nowMs();
  let issued = 0;
  const issue = (dueAt: number) => {
    startLate.push(nowMs() - dueAt);
    return options.op().then(
      () => {
        latencies.push(nowMs() - dueAt);
      },
      (error: unknown) => {
        errors += 1;
        firstError ??= String(error);
      },
    );
  };
  while (issued < total) {
    const due = Math.min(total, Math.floor((nowMs() - started) / intervalMs) + 1);
    for (; issued < due; issued++) inFlight.push(issue(started + issued * intervalMs));
    await new Promise((resolve) => setTimeout(resolve, OPEN_LOOP_TICK_MS));
  }
  await Promise.all(inFlight);
  loopDelay.disable();
  const seconds = (nowMs() - started) / 1000;
  return {
    operations: latencies.length,
    errors,
    firstError,
    seconds,
    opsPerSecond: latencies.length / seconds,
    latency: summarize(latencies),
    generator: { startLate: summarize(startLate), eventLoopDelayP99: loopDelay.percentile(99) / 1e6 },
  };
}
