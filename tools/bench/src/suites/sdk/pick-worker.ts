/**
 * One measurement of the sdk suite, in its own process (so one implementation's JIT state does
 * not colour another's), started by sdk-suite.ts with --expose-gc and pinned to one core.
 * argv[2] is a JSON PickJob; prints one JSON PickMeasurement line on stdout.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PerformanceObserver } from 'node:perf_hooks';
import { PolicyRouter, seededRandom, type RequestContext, type Strategy } from '@skyroad/governance';
import { Skyroad, type PickOptions } from '@skyroad/sdk';
import { PolicyRouter as BaselinePolicyRouter } from '../../baseline/policy-router';
import { BaselineSkyroad } from '../../baseline/service-governor';
import { contexts, instances, policy, SERVICE, type FixtureInstance } from './fixture';

export type PickImpl = 'router-baseline' | 'router' | 'sdk-baseline' | 'sdk';

export interface PickJob {
  readonly impl: PickImpl;
  readonly strategy: Strategy;
  readonly warmupMs: number;
  readonly measureMs: number;
  /** Picks per allocation sample. */
  readonly allocPicks: number;
  readonly allocSamples: number;
}

export interface PickMeasurement {
  readonly impl: PickImpl;
  readonly strategy: Strategy;
  readonly picks: number;
  readonly picksPerSecond: number;
  /** Median heap growth per pick over samples without a GC inside them; null when every sample saw one. */
  readonly bytesPerPick: number | null;
  readonly allocSamplesUsed: number;
}

type PickFn = (ctx: RequestContext) => unknown;
type AsyncPickFn = (ctx: RequestContext) => Promise<unknown>;

const BATCH = 1024;
const SETTLE_MS = 20;
const MIN_ALLOC_PICKS = 64;

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as PickJob;
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run the pick worker with --expose-gc');
  const ctxs = contexts();
  const list = instances();
  let stop = async (): Promise<void> => undefined;
  let sync: PickFn | undefined;
  let async_: AsyncPickFn | undefined;
  switch (job.impl) {
    case 'router-baseline': {
      const router = new BaselinePolicyRouter(policy(job.strategy), { random: seededRandom(1) });
      sync = (ctx) => router.pick(list, ctx)?.instance;
      break;
    }
    case 'router': {
      const router = new PolicyRouter(policy(job.strategy), { random: seededRandom(1) });
      sync = (ctx) => router.pick(list, ctx)?.instance;
      break;
    }
    case 'sdk-baseline': {
      const sdk = new BaselineSkyroad<FixtureInstance>(SERVICE, list, policy(job.strategy), seededRandom(1));
      async_ = (ctx) => sdk.pick(SERVICE, ctx);
      break;
    }
    case 'sdk': {
      const registry = await fakeRegistry(list, job.strategy);
      const sdk = await Skyroad.connect({ registry: registry.url, random: seededRandom(1) });
      await sdk.discover(SERVICE);
      // The fixture's headers are all defined strings.
      async_ = (ctx) => sdk.pick(SERVICE, ctx as PickOptions);
      stop = async () => {
        await sdk.close();
        registry.server.closeAllConnections();
        registry.server.close();
      };
      break;
    }
  }
  const run = sync
    ? (n: number, offset: number): Promise<number> => Promise.resolve(runSync(sync!, ctxs, n, offset))
    : (n: number, offset: number): Promise<number> => runAsync(async_!, ctxs, n, offset);

  await timed(run, job.warmupMs);
  const { picks, ms } = await timed(run, job.measureMs);

  let gcs = 0;
  const observer = new PerformanceObserver((list) => (gcs += list.getEntries().length));
  observer.observe({ entryTypes: ['gc'] });
  const perPick: number[] = [];
  for (let s = 0; s < job.allocSamples; s++) {
    // A sample in which a GC ran says nothing: retry it with fewer picks.
    for (let n = job.allocPicks; n >= MIN_ALLOC_PICKS; n = Math.floor(n / 2)) {
      gc();
      await settle();
      const gcsBefore = gcs;
      const before = process.memoryUsage().heapUsed;
      await run(n, s);
      const after = process.memoryUsage().heapUsed;
      await settle();
      if (gcs === gcsBefore) {
        perPick.push((after - before) / n);
        break;
      }
    }
  }
  observer.disconnect();
  perPick.sort((a, b) => a - b);
  const result: PickMeasurement = {
    impl: job.impl,
    strategy: job.strategy,
    picks,
    picksPerSecond: (picks / ms) * 1000,
    bytesPerPick: perPick.length ? Math.max(0, perPick[Math.floor(perPick.length / 2)]) : null,
    allocSamplesUsed: perPick.length,
  };
  await stop();
  process.stdout.write(JSON.stringify(result) + '\n');
}

function runSync(pick: PickFn, ctxs: readonly RequestContext[], n: number, offset: number): number {
  const mask = ctxs.length - 1;
  let missing = 0;
  for (let k = 0; k < n; k++) if (pick(ctxs[(k + offset) & mask]) === undefined) missing++;
  if (missing > 0) throw new Error(`${missing} picks returned no instance`);
  return n;
}

async function runAsync(
  pick: AsyncPickFn,
  ctxs: readonly RequestContext[],
  n: number,
  offset: number,
): Promise<number> {
  const mask = ctxs.length - 1;
  for (let k = 0; k < n; k++) await pick(ctxs[(k + offset) & mask]);
  return n;
}

/** Runs batches until `ms` have passed; returns the picks done and the time they took. */
async function timed(
  run: (n: number, offset: number) => Promise<number>,
  ms: number,
): Promise<{ picks: number; ms: number }> {
  const started = performance.now();
  let picks = 0;
  let elapsed = 0;
  do {
    picks += await run(BATCH, picks);
    elapsed = performance.now() - started;
  } while (elapsed < ms);
  return { picks, ms: elapsed };
}

/** Lets pending GC performance entries arrive. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
}

/** Just enough of the registry for Skyroad.connect and one service's watch: /health and a snapshot. */
async function fakeRegistry(list: readonly FixtureInstance[], strategy: Strategy) {
  const snapshot = {
    revision: 200,
    instances: list,
    policy: { namespace: 'default', service: SERVICE, revision: 150, policy: policy(strategy) },
  };
  const server: Server = createServer((req, res) => {
    if (req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    } else if (req.url?.startsWith(`/v1/namespaces/default/services/${SERVICE}/watch`)) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(`event: snapshot\nid: 200\ndata: ${JSON.stringify(snapshot)}\n\n`);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

main().catch((error: unknown) => {
  process.stderr.write(`pick worker failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
