import { Etcd3 } from 'etcd3';
import { leaderIndex, rssBytes } from '../../cluster/member-status';
import { stopAllProcesses } from '../../cluster/processes';
import {
  requireEtcd,
  startStoreCluster,
  unavailableReason,
  type StoreCluster,
  type StoreKind,
} from '../../cluster/store-cluster';
import { assertMostlySucceeded, closedLoop } from '../../load';
import { PushProbe } from '../../push-probe';
import { row, unavailable, type Better, type ResultRow, type Side, type Target } from '../../result';
import { mean, median, nowMs, summarize } from '../../stats';
import type { Suite, SuiteContext, SuiteOutcome } from '../../suite';
import { checkPerf } from './check-perf';
import { PASS_FAIL_UNIT } from '../../report';

const MEMBERS = 3;
const VALUE_BYTES = 256;
const WRITE_CONCURRENCIES = [1, 64, 500] as const;
/** Connections the clients share, as etcd's own benchmark tool does with --conns. */
const MAX_CONNECTIONS = 10;
const READ_CONCURRENCY = 64;
const WARMUP_CONCURRENCY = 64;
/** etcd's default --max-txn-ops: keys per transaction when loading. */
const LOAD_TXN_OPS = 128;
const LOAD_CONCURRENCY = 16;
const WATCH_CLIENTS = 10;
const ELECTION_POLL_MS = 10;
const ELECTION_TIMEOUT_MS = 30_000;

interface Sizes {
  /**
   * Unmeasured load on each store's cluster once it has started, before the first measurement:
   * puts from WARMUP_CONCURRENCY clients for this long, then serializable and linearizable gets
   * for half as long each. The figures are of a running store, not of one still compiling its
   * hot paths: skyroad-store's members run on V8, which optimizes a function only after it has
   * run a while, so a fresh member serves its first ~15 s of one-client puts at about half its
   * later rate (etcd, compiled ahead of time, runs at its rate from the start). Many clients
   * run the same code far more often per second than one, so this is where the warming is done.
   */
  clusterWarmupMs: number;
  /** Unmeasured load before each write and read measurement, the same on both stores. */
  warmupMs: number;
  writeMs: number;
  readMs: number;
  watchers: number;
  watchRounds: number;
  loadKeys: number;
  checkPerf: 's' | 'l' | null;
}

const QUICK: Sizes = {
  clusterWarmupMs: 300,
  warmupMs: 200,
  writeMs: 1_000,
  readMs: 1_000,
  watchers: 200,
  watchRounds: 3,
  loadKeys: 50_000,
  checkPerf: 's',
};
const FULL: Sizes = {
  clusterWarmupMs: 10_000,
  warmupMs: 5_000,
  writeMs: 8_000,
  readMs: 5_000,
  watchers: 10_000,
  watchRounds: 5,
  loadKeys: 1_000_000,
  checkPerf: 'l',
};

/**
 * One metric as measured on one store: each run's value (one, or two for Step.twice; the
 * figure is their mean), or why there is none.
 */
type Measured = Map<string, { runs: number[] } | { failed: string }>;

/**
 * Issue 10's store targets: throughput, p99 write latency and RSS at least as good as etcd's
 * (the ratio is oriented so that >= 1 means "as good or better"), a new leader within 2 s.
 */
const AT_LEAST_ETCD: Target = { on: 'ratio', op: '>=', value: 1 };
const ELECTION_TARGET_MS: Target = { on: 'skyroad', op: '<=', value: 2_000 };

interface MetricSpec {
  readonly key: string;
  readonly metric: string;
  readonly unit: string;
  readonly better: Better;
  readonly target?: Target;
}

/** The measurement groups `--only` selects from. */
export const STORE_GROUPS = ['write', 'read', 'check-perf', 'watch', 'load', 'election'] as const;

function groupOf(key: string): (typeof STORE_GROUPS)[number] {
  if (key.startsWith('write-')) return 'write';
  if (key.startsWith('read-')) return 'read';
  if (key.startsWith('perf-')) return 'check-perf';
  if (key.startsWith('watch-')) return 'watch';
  if (key === 'election') return 'election';
  return 'load';
}

function metricSpecs(sizes: Sizes): MetricSpec[] {
  const specs: MetricSpec[] = [];
  for (const c of WRITE_CONCURRENCIES) {
    specs.push(
      {
        key: `write-${c}`,
        metric: `put ${VALUE_BYTES} B, ${c} clients`,
        unit: 'writes/s',
        better: 'higher',
        target: AT_LEAST_ETCD,
      },
      { key: `write-${c}-p50`, metric: `put latency p50, ${c} clients`, unit: 'ms', better: 'lower' },
      {
        key: `write-${c}-p99`,
        metric: `put latency p99, ${c} clients`,
        unit: 'ms',
        better: 'lower',
        target: AT_LEAST_ETCD,
      },
    );
  }
  specs.push(
    {
      key: 'read-lin',
      metric: `linearizable get, ${READ_CONCURRENCY} clients`,
      unit: 'reads/s',
      better: 'higher',
      target: AT_LEAST_ETCD,
    },
    {
      key: 'read-ser',
      metric: `serializable get, ${READ_CONCURRENCY} clients`,
      unit: 'reads/s',
      better: 'higher',
      target: AT_LEAST_ETCD,
    },
  );
  if (sizes.checkPerf) {
    const load = sizes.checkPerf;
    specs.push(
      {
        key: 'perf-throughput',
        metric: `etcdctl check perf --load=${load}: throughput`,
        unit: 'writes/s',
        better: 'higher',
      },
      {
        key: 'perf-slowest',
        metric: `etcdctl check perf --load=${load}: slowest request`,
        unit: 'ms',
        better: 'lower',
      },
      {
        key: 'perf-pass',
        metric: `etcdctl check perf --load=${load}: verdict`,
        unit: PASS_FAIL_UNIT,
        better: 'verdict',
      },
    );
  }
  specs.push(
    {
      key: 'watch-p99',
      metric: `watch fan-out to ${sizes.watchers} watchers, p99`,
      unit: 'ms',
      better: 'lower',
    },
    {
      key: 'watch-last',
      metric: `watch fan-out to ${sizes.watchers} watchers, last one (median)`,
      unit: 'ms',
      better: 'lower',
    },
    {
      key: 'load-rate',
      metric: `load ${sizes.loadKeys} keys (txns of ${LOAD_TXN_OPS})`,
      unit: 'keys/s',
      better: 'higher',
    },
    { key: 'count', metric: `range count over ${sizes.loadKeys} keys`, unit: 'ms', better: 'lower' },
  );
  for (let m = 1; m <= MEMBERS; m++)
    specs.push({
      key: `rss-${m}`,
      metric: `RSS member ${m} after the load`,
      unit: 'MiB',
      better: 'lower',
      target: AT_LEAST_ETCD,
    });
  specs.push({
    key: 'election',
    metric: 'leader re-election after SIGKILL of the leader',
    unit: 'ms',
    better: 'lower',
    target: ELECTION_TARGET_MS,
  });
  return specs;
}

export const storeSuite: Suite = {
  name: 'store',
  description: `${MEMBERS}-member skyroad-store vs ${MEMBERS}-member etcd: writes at ${WRITE_CONCURRENCIES.join('/')} clients, reads, check perf, watch fan-out, load + count + RSS, re-election`,
  async run(ctx: SuiteContext): Promise<SuiteOutcome> {
    requireEtcd();
    const sizes = { ...(ctx.quick ? QUICK : FULL) };
    if (!ctx.checkPerf) sizes.checkPerf = null;
    const notes: string[] = [];
    const subjects: StoreUnderTest[] = [];
    const failures = new Map<StoreKind, string>();
    for (const kind of ['etcd', 'skyroad-store'] as const) {
      if (!ctx.stores.includes(kind)) {
        notes.push(`${kind}: not run (--stores ${ctx.stores.join(',')}).`);
        continue;
      }
      const missing = unavailableReason(kind);
      if (missing) {
        notes.push(`${kind}: not available (${missing}).`);
        continue;
      }
      subjects.push(new StoreUnderTest(kind, ctx));
    }
    try {
      await measureSideBySide(subjects, sizes, ctx, failures);
    } finally {
      for (const subject of subjects) subject.disconnect();
      await stopAllProcesses();
    }
    for (const [kind, reason] of failures) notes.push(`${kind}: could not be measured (${reason}).`);
    const byKind = new Map(subjects.map((s) => [s.kind, s]));
    const etcdName = byKind.get('etcd')?.label ?? `etcd x${MEMBERS}`;
    const skyName = byKind.get('skyroad-store')?.label ?? `skyroad-store x${MEMBERS}`;
    const side = (kind: StoreKind, name: string, key: string): Side => {
      const subject = byKind.get(kind);
      if (!subject) return unavailable(name, `${kind} not available`);
      // What was measured before a cluster failed to start stays.
      const m = subject.measured.get(key);
      if (m && 'failed' in m) return unavailable(name, m.failed);
      if (m)
        return m.runs.length > 1 ? { name, value: mean(m.runs), runs: m.runs } : { name, value: m.runs[0] };
      return unavailable(name, failures.has(kind) ? `${kind} failed` : 'not measured');
    };
    const wanted = (spec: MetricSpec): boolean => ctx.only === null || ctx.only.has(groupOf(spec.key));
    const rows: ResultRow[] = metricSpecs(sizes)
      .filter(wanted)
      .map((spec) =>
        row({
          metric: spec.metric,
          unit: spec.unit,
          better: spec.better,
          target: spec.target,
          competitor: side('etcd', etcdName, spec.key),
          skyroad: side('skyroad-store', skyName, spec.key),
        }),
      );
    notes.push(
      `Both clusters: ${MEMBERS} members on loopback, default heartbeat/election (100/1000 ms), durable writes (fsync before acknowledging). Clients: the etcd3 npm client from this process, requests spread over up to ${MAX_CONNECTIONS} connections.`,
      `Both clusters run side by side and each measurement runs on one right after the other (etcd first, then skyroad-store, the order swapped from one measurement to the next), so a machine that speeds up or slows down during the run moves both sides of a row alike.`,
      `Writes and reads are measured twice on each store, in the order A B B A (etcd first on one measurement, skyroad-store first on the next): each figure is the mean of its two runs (both in the JSON as \`runs\`), so a machine whose speed drifts during a measurement favours neither side.`,
      `Each cluster first takes ${sizes.clusterWarmupMs} ms of unmeasured puts from ${WARMUP_CONCURRENCY} clients, then ${sizes.clusterWarmupMs / 2} ms each of serializable and linearizable gets, so both are measured running, not starting (skyroad-store's members run on V8, which optimizes its hot paths only after they have run a while).`,
      `Writes: ${sizes.warmupMs} ms unmeasured then ${sizes.writeMs} ms per concurrency level, a new key per put. Reads: ${sizes.warmupMs} ms unmeasured then ${sizes.readMs} ms on one key. Watch: ${sizes.watchers} watchers on one prefix over ${WATCH_CLIENTS} clients, ${sizes.watchRounds} puts; latency from just before the put to each watcher's event. Load, count, RSS and re-election: on a fresh cluster of each store, so both hold the same data.`,
      sizes.checkPerf
        ? `etcdctl check perf --load=${sizes.checkPerf} (the real etcdctl) against each cluster.`
        : 'etcdctl check perf skipped (--no-check-perf).',
    );
    return { competitor: etcdName, skyroad: skyName, rows, notes };
  },
};

/** One store's cluster, its clients and what was measured on it. */
class StoreUnderTest {
  readonly measured: Measured = new Map();
  /** How many times each measurement (by its `what`) has run on this store. */
  private readonly runs = new Map<string, number>();
  cluster: StoreCluster | undefined;
  clients: Etcd3[] = [];

  constructor(
    readonly kind: StoreKind,
    private readonly ctx: SuiteContext,
  ) {}

  get label(): string | undefined {
    return this.cluster?.label;
  }

  /** etcd is the reference: a failure there ends the suite; skyroad-store's is recorded. */
  get strict(): boolean {
    return this.kind === 'etcd';
  }

  /** Starts a fresh cluster (stopping the one before, if any) and connects the clients. */
  async start(name: string): Promise<void> {
    this.disconnect();
    for (const member of this.cluster?.members ?? []) await member.process.stop();
    this.cluster = await startStoreCluster(this.kind, { size: MEMBERS, name: `${name}-${this.kind}` });
    const endpoints = this.cluster.endpoints;
    this.clients = Array.from({ length: MAX_CONNECTIONS }, () => new Etcd3({ hosts: endpoints }));
  }

  disconnect(): void {
    for (const client of this.clients.splice(0)) client.close();
  }

  /**
   * Sizes.clusterWarmupMs of unmeasured puts, then of gets. closedLoop counts failed calls and
   * does not throw: the measurements that follow meet a failure again and record it.
   */
  async warmUp(sizes: Sizes): Promise<void> {
    this.ctx.log(`store ${this.label}: warm-up`);
    const clients = this.clients;
    const value = Buffer.alloc(VALUE_BYTES, 'w');
    await closedLoop({
      concurrency: WARMUP_CONCURRENCY,
      durationMs: sizes.clusterWarmupMs,
      op: (seq) =>
        clients[seq % MAX_CONNECTIONS]
          .put(`bench/warmup/${seq}`)
          .value(value)
          .then(() => undefined),
    });
    for (const serializable of [true, false]) {
      await closedLoop({
        concurrency: WARMUP_CONCURRENCY,
        durationMs: sizes.clusterWarmupMs / 2,
        op: (seq) =>
          clients[seq % MAX_CONNECTIONS]
            .get('bench/warmup/0')
            .serializable(serializable)
            .buffer()
            .then(() => undefined),
      });
    }
  }

  /** Runs one measurement and records its figures, or (skyroad-store) why there are none. */
  async measure(step: Step): Promise<void> {
    const run = (this.runs.get(step.what) ?? 0) + 1;
    this.runs.set(step.what, run);
    this.ctx.log(`store ${this.label}: ${step.what}${run > 1 ? ` (run ${run})` : ''}`);
    try {
      for (const [key, value] of await step.run(this, run)) this.record(key, value);
    } catch (error) {
      if (this.strict) throw error;
      const note = String(error).split('\n')[0].slice(0, 400);
      for (const key of step.keys) this.measured.set(key, { failed: note });
    }
  }

  /** A run's value, after those of earlier runs of the same measurement. */
  private record(key: string, value: number | null): void {
    const before = this.measured.get(key);
    if (before && 'failed' in before) return; // a run failed: the figure stays blank, with its reason
    if (value === null) this.measured.set(key, { failed: before ? 'not measured in every run' : 'failed' });
    else this.measured.set(key, { runs: [...(before?.runs ?? []), value] });
  }
}

interface Step {
  readonly what: string;
  /** The metric keys it fills (the first names its group for --only). */
  readonly keys: string[];
  /** Runs on fresh clusters (started for it, for both stores). */
  readonly fresh?: boolean;
  /** Taken twice on each store, A B B A, and reported as the mean (see measureSideBySide). */
  readonly twice?: boolean;
  /** `run` counts this store's runs of the measurement from 1. */
  run(subject: StoreUnderTest, run: number): Promise<Array<[string, number | null]>>;
}

/**
 * Runs each measurement on every store before the next one starts, etcd first on even
 * measurements and last on odd ones: on a shared machine whose speed drifts over minutes, the
 * two sides of a row are then taken under the same conditions. A measurement marked `twice`
 * runs again in the reverse order right after (A B B A), so that a drift within it, which
 * would favour whichever store went first, cancels out in the mean. A skyroad-store cluster that
 * cannot start is recorded in `failures` and left out from then on (a measurement that fails on
 * a running one is recorded by StoreUnderTest.measure).
 */
async function measureSideBySide(
  subjects: StoreUnderTest[],
  sizes: Sizes,
  ctx: SuiteContext,
  failures: Map<StoreKind, string>,
): Promise<void> {
  const live = () => subjects.filter((s) => !failures.has(s.kind));
  const start = async (name: string) => {
    for (const subject of live()) {
      try {
        await subject.start(name);
      } catch (error) {
        if (subject.strict) throw error;
        failures.set(subject.kind, firstAndLastLine(error));
      }
    }
  };
  await start('bench-store');
  const steps = storeSteps(sizes).filter((step) => ctx.only === null || ctx.only.has(groupOf(step.keys[0])));
  // Only measurements on this first cluster need it (the others start fresh clusters).
  if (steps.some((step) => !step.fresh)) for (const subject of live()) await subject.warmUp(sizes);
  for (const [i, step] of steps.entries()) {
    if (step.fresh) await start('bench-store-load');
    const order = i % 2 === 0 ? live() : live().reverse();
    const runs = step.twice ? [...order, ...[...order].reverse()] : order;
    for (const subject of runs) await subject.measure(step);
  }
}

/** The measurements, in the order they run. */
function storeSteps(sizes: Sizes): Step[] {
  const value = Buffer.alloc(VALUE_BYTES, 'x');
  const steps: Step[] = WRITE_CONCURRENCIES.map((c) => ({
    what: `put, ${c} clients`,
    keys: [`write-${c}`, `write-${c}-p50`, `write-${c}-p99`],
    twice: true,
    async run({ clients }, run) {
      const put = (phase: string) => async (seq: number) => {
        await clients[seq % Math.min(c, MAX_CONNECTIONS)]
          .put(`bench/${phase}/${c}/${run}/${seq}`)
          .value(value);
      };
      await closedLoop({ concurrency: c, durationMs: sizes.warmupMs, op: put('warmup') });
      const result = await closedLoop({ concurrency: c, durationMs: sizes.writeMs, op: put('write') });
      assertMostlySucceeded('put', result);
      return [
        [`write-${c}`, result.opsPerSecond],
        [`write-${c}-p50`, result.latency.p50],
        [`write-${c}-p99`, result.latency.p99],
      ];
    },
  }));
  for (const [key, serializable] of [
    ['read-lin', false],
    ['read-ser', true],
  ] as const) {
    steps.push({
      what: `${serializable ? 'serializable' : 'linearizable'} get`,
      keys: [key],
      twice: true,
      async run({ clients }) {
        await clients[0].put('bench/read').value(value);
        const get = async (seq: number) => {
          const got = await clients[seq % MAX_CONNECTIONS]
            .get('bench/read')
            .serializable(serializable)
            .buffer();
          if (got === null) throw new Error('bench/read missing');
        };
        await closedLoop({ concurrency: READ_CONCURRENCY, durationMs: sizes.warmupMs, op: get });
        const result = await closedLoop({ concurrency: READ_CONCURRENCY, durationMs: sizes.readMs, op: get });
        assertMostlySucceeded('get', result);
        return [[key, result.opsPerSecond]];
      },
    });
  }
  if (sizes.checkPerf) {
    const load = sizes.checkPerf;
    steps.push({
      what: `etcdctl check perf --load=${load}`,
      keys: ['perf-throughput', 'perf-slowest', 'perf-pass'],
      run: ({ cluster }) => checkPerf(cluster!.endpoints, load),
    });
  }
  steps.push(
    {
      what: `watch fan-out to ${sizes.watchers}`,
      keys: ['watch-p99', 'watch-last'],
      run: ({ cluster }) => watchFanOut(cluster!, sizes),
    },
    {
      // Fresh members: RSS is compared on the same data, the loaded keys, and not on what the
      // measurements before left behind, which grows with each store's throughput there.
      what: `load ${sizes.loadKeys} keys, count, RSS`,
      keys: ['load-rate', 'count', ...Array.from({ length: MEMBERS }, (_, i) => `rss-${i + 1}`)],
      fresh: true,
      run: ({ cluster, clients }) => loadCountRss(cluster!, clients, sizes, value),
    },
    {
      what: 'leader re-election',
      keys: ['election'],
      run: async ({ cluster }) => [['election', await reelection(cluster!)]],
    },
  );
  return steps;
}

/** Loads `sizes.loadKeys` keys in transactions, then times a count and reads each member's RSS. */
async function loadCountRss(
  cluster: StoreCluster,
  clients: Etcd3[],
  sizes: Sizes,
  value: Buffer,
): Promise<Array<[string, number | null]>> {
  const started = nowMs();
  let next = 0;
  await Promise.all(
    Array.from({ length: LOAD_CONCURRENCY }, async (_, w) => {
      for (;;) {
        const from = next;
        if (from >= sizes.loadKeys) return;
        next += LOAD_TXN_OPS;
        const success = [];
        for (let k = from; k < Math.min(sizes.loadKeys, from + LOAD_TXN_OPS); k++)
          success.push({
            request_put: { key: Buffer.from(`bench/load/${String(k).padStart(8, '0')}`), value },
          });
        await clients[w % MAX_CONNECTIONS].kv.txn({ compare: [], success, failure: [] });
      }
    }),
  );
  const rate = (sizes.loadKeys / (nowMs() - started)) * 1000;
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = nowMs();
    const n = await clients[0].getAll().prefix('bench/load/').count();
    times.push(nowMs() - t0);
    if (n !== sizes.loadKeys) throw new Error(`count says ${n}, loaded ${sizes.loadKeys}`);
  }
  const out: Array<[string, number | null]> = [
    ['load-rate', rate],
    ['count', median(times)],
  ];
  cluster.members.forEach((m, i) => {
    const rss = rssBytes(m);
    out.push([`rss-${i + 1}`, rss === null ? null : rss / 2 ** 20]);
  });
  return out;
}

async function watchFanOut(cluster: StoreCluster, sizes: Sizes): Promise<Array<[string, number]>> {
  const clients = Array.from({ length: WATCH_CLIENTS }, () => new Etcd3({ hosts: cluster.endpoints }));
  const writer = new Etcd3({ hosts: cluster.endpoints });
  const probe = new PushProbe(sizes.watchers);
  try {
    const watchers = [];
    // Created in batches: tens of thousands of create requests at once only measure the queue.
    for (let from = 0; from < sizes.watchers; from += 500) {
      const batch = [];
      for (let i = from; i < Math.min(sizes.watchers, from + 500); i++) {
        batch.push(
          clients[i % WATCH_CLIENTS]
            .watch()
            .prefix('bench/watch/')
            .create()
            .then((w) => w.on('put', (kv) => probe.seen(i, kv.key.toString()))),
        );
      }
      watchers.push(...(await Promise.all(batch)));
    }
    const rounds: number[][] = [];
    for (let r = 0; r < sizes.watchRounds; r++) {
      const key = `bench/watch/round-${r}`;
      rounds.push(await probe.round(key, async () => void (await writer.put(key).value('x'))));
    }
    await Promise.all(watchers.map((w) => w.cancel().catch(() => undefined)));
    return [
      ['watch-p99', summarize(rounds.flat()).p99],
      ['watch-last', median(rounds.map((r) => summarize(r).max))],
    ];
  } finally {
    writer.close();
    for (const c of clients) c.close();
  }
}

/** Kills the leader with SIGKILL and times until a surviving member reports a new leader. */
async function reelection(cluster: StoreCluster): Promise<number> {
  const deadline = Date.now() + ELECTION_TIMEOUT_MS;
  let leader = -1;
  while (leader < 0 && Date.now() < deadline) leader = await leaderIndex(cluster.members);
  if (leader < 0) throw new Error('no member reports itself leader');
  const old = cluster.members[leader];
  old.process.kill('SIGKILL');
  const started = nowMs();
  await old.process.exited;
  const survivors = cluster.members.filter((_, i) => i !== leader);
  while (Date.now() < deadline) {
    if ((await leaderIndex(survivors)) >= 0) return nowMs() - started;
    await new Promise((resolve) => setTimeout(resolve, ELECTION_POLL_MS));
  }
  throw new Error(`no new leader within ${ELECTION_TIMEOUT_MS} ms`);
}

/** An error's first line and, for a process that died, the last line it printed. */
function firstAndLastLine(error: unknown): string {
  const lines = String(error).split('\n').filter(Boolean);
  return lines.length > 1 ? `${lines[0]} ... ${lines[lines.length - 1]}`.slice(0, 400) : (lines[0] ?? '');
}
