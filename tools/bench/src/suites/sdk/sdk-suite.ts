import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { STRATEGIES, type Strategy } from '@skyroad/governance';
import { row, type ResultRow } from '../../result';
import type { Suite, SuiteContext, SuiteOutcome } from '../../suite';
import { INSTANCE_COUNT } from './fixture';
import type { PickImpl, PickJob, PickMeasurement } from './pick-worker';

/** The target for one core: a million picks per second. */
export const PICKS_PER_SECOND_TARGET = 1_000_000;

/** Young generation big enough that an allocation sample runs without a scavenge. */
const SEMI_SPACE_MB = 64;
const WORKER_TIMEOUT_MS = 120_000;

interface Timing {
  warmupMs: number;
  measureMs: number;
  allocPicks: number;
  allocSamples: number;
}

const QUICK: Timing = { warmupMs: 100, measureMs: 200, allocPicks: 2_000, allocSamples: 3 };
const FULL: Timing = { warmupMs: 1_000, measureMs: 3_000, allocPicks: 10_000, allocSamples: 7 };

function hasTaskset(): boolean {
  return spawnSync('taskset', ['-c', '0', 'true']).status === 0;
}

/** Runs one PickJob in a fresh node, pinned to CPU 0 when taskset is there. */
export function measurePick(job: PickJob, pin: boolean): Promise<PickMeasurement> {
  const worker = join(__dirname, 'pick-worker.js');
  const nodeArgs = [
    '--expose-gc',
    `--min-semi-space-size=${SEMI_SPACE_MB}`,
    `--max-semi-space-size=${SEMI_SPACE_MB}`,
    worker,
    JSON.stringify(job),
  ];
  const [command, args] = pin
    ? ['taskset', ['-c', '0', process.execPath, ...nodeArgs]]
    : [process.execPath, nodeArgs];
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: WORKER_TIMEOUT_MS });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code !== 0) {
        reject(new Error(`pick worker ${job.impl}/${job.strategy} exited ${code ?? signal}: ${err.trim()}`));
        return;
      }
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as PickMeasurement);
      } catch (error) {
        reject(new Error(`pick worker printed no result: ${String(error)}: ${out}${err}`));
      }
    });
  });
}

const BASELINE = 'baseline pick (before issue 10)';
const CURRENT = 'Skyroad pick (now)';

export const sdkSuite: Suite = {
  name: 'sdk',
  description: `pick per second and bytes allocated per pick, 3 routes and ${INSTANCE_COUNT} instances, one core`,
  async run(ctx: SuiteContext): Promise<SuiteOutcome> {
    const timing = ctx.quick ? QUICK : FULL;
    const pin = hasTaskset();
    const measure = async (impl: PickImpl, strategy: Strategy): Promise<PickMeasurement> => {
      ctx.log(`sdk: ${impl} ${strategy}`);
      return measurePick({ impl, strategy, ...timing }, pin);
    };
    const rows: ResultRow[] = [];
    const bytes = (m: PickMeasurement) =>
      m.bytesPerPick === null ? { value: null, note: 'a GC ran in every sample' } : { value: m.bytesPerPick };

    const sdkBefore = await measure('sdk-baseline', 'round_robin');
    const sdkNow = await measure('sdk', 'round_robin');
    rows.push(
      row({
        metric: 'Skyroad.pick (SDK) round_robin',
        unit: 'picks/s',
        better: 'higher',
        competitor: { name: BASELINE, value: sdkBefore.picksPerSecond },
        skyroad: { name: CURRENT, value: sdkNow.picksPerSecond },
        target: { on: 'skyroad', op: '>=', value: PICKS_PER_SECOND_TARGET },
      }),
      row({
        metric: 'Skyroad.pick (SDK) round_robin allocation',
        unit: 'bytes/pick',
        better: 'lower',
        competitor: { name: BASELINE, ...bytes(sdkBefore) },
        skyroad: { name: CURRENT, ...bytes(sdkNow) },
      }),
    );
    for (const strategy of STRATEGIES) {
      const before = await measure('router-baseline', strategy);
      const now = await measure('router', strategy);
      rows.push(
        row({
          metric: `PolicyRouter.pick ${strategy}`,
          unit: 'picks/s',
          better: 'higher',
          competitor: { name: BASELINE, value: before.picksPerSecond },
          skyroad: { name: CURRENT, value: now.picksPerSecond },
          target: { on: 'skyroad', op: '>=', value: PICKS_PER_SECOND_TARGET },
        }),
        row({
          metric: `PolicyRouter.pick ${strategy} allocation`,
          unit: 'bytes/pick',
          better: 'lower',
          competitor: { name: BASELINE, ...bytes(before) },
          skyroad: { name: CURRENT, ...bytes(now) },
        }),
      );
    }
    return {
      competitor: BASELINE,
      skyroad: CURRENT,
      rows,
      notes: [
        `Policy: 3 routes (header, caller metadata, both) + 90/10 default route + circuit breaker; ${INSTANCE_COUNT} instances (60 v1, 30 v2, 10 v3); requests cycle over the 3 routes and the default route, with mixed-case header names.`,
        "Skyroad.pick is the public async SDK call (after discovery, fed by a stub registry's SSE snapshot); PolicyRouter.pick is the synchronous evaluation in @skyroad/governance.",
        `Each figure comes from its own node process ${pin ? 'pinned to CPU 0 (taskset -c 0)' : '(taskset not found: not pinned)'}, --expose-gc --min/max-semi-space-size=${SEMI_SPACE_MB}; ${timing.warmupMs} ms warm-up, ${timing.measureMs} ms measured.`,
        'Allocation: heap growth over a batch of picks right after a full GC, median of the samples in which no GC ran.',
        'The baseline is a frozen copy of the pick path before issue 10 (tools/bench/src/baseline).',
      ],
    };
  },
};
