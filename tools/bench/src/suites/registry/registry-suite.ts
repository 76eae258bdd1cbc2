import { Etcd3 } from 'etcd3';
import { gunzipSync } from 'node:zlib';
import { withDedicatedCore, type Placement } from '../../cluster/cpu-affinity';
import { HttpClient } from '../../cluster/http-client';
import { totalCpuTimeMs } from '../../cluster/member-status';
import { stopAllProcesses } from '../../cluster/processes';
import {
  registryUnavailableReason,
  startRegistry,
  type RegistryProcess,
} from '../../cluster/registry-process';
import { SseWatchers } from '../../cluster/sse-watchers';
import {
  requireEtcd,
  startStoreCluster,
  unavailableReason,
  type StoreCluster,
  type StoreKind,
} from '../../cluster/store-cluster';
import { HttpGetPool } from '../../cluster/http-get-pool';
import {
  assertMostlySucceeded,
  closedLoop,
  openLoop,
  type LoadResult,
  type OpenLoopResult,
} from '../../load';
import { PushProbe } from '../../push-probe';
import { row, unavailable, type ResultRow } from '../../result';
import { median, summarize } from '../../stats';
import { SuiteUnavailableError, type Suite, type SuiteContext, type SuiteOutcome } from '../../suite';
import { keepaliveNote, keepaliveSizes, measureKeepalive } from './keepalive';

/** The targets: discovery through the registry 10x the store's, p99 under 10 ms. */
export const DISCOVERY_RATIO_TARGET = 10;
export const DISCOVERY_P99_TARGET_MS = 10;

const NS = 'default';
const DISCOVERY_SERVICE = 'bench-discovery';
const REGISTER_SERVICE = 'bench-register';
const PUSH_SERVICE = 'bench-push';
const INSTANCES = 100;
const DISCOVERY_CONCURRENCY = 64;
const REGISTER_CONCURRENCY = 16;
const INSTANCE_TTL_S = 300;
/** etcd clients the store-side watchers are spread over (each multiplexes its watchers). */
const ETCD_WATCH_CLIENTS = 10;

interface Sizes {
  storeMembers: number;
  discoveryMs: number;
  registerMs: number;
  watchers: number;
  pushRounds: number;
}

const QUICK: Sizes = { storeMembers: 1, discoveryMs: 1_500, registerMs: 1_000, watchers: 50, pushRounds: 3 };
const FULL: Sizes = {
  storeMembers: 3,
  discoveryMs: 10_000,
  registerMs: 5_000,
  watchers: 1_000,
  pushRounds: 10,
};

const servicePath = (svc: string): string => `/v1/namespaces/${NS}/services/${svc}`;
const storePrefix = (svc: string): string => `/skyroad/registry/${NS}/${svc}/`;

function instanceBody(k: number, tag: string) {
  return {
    id: `${tag}-${k}`,
    host: `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`,
    port: 8080,
    ttl: INSTANCE_TTL_S,
    metadata: { version: k % 2 ? 'v2' : 'v1', zone: 'bj-a' },
  };
}

/** The measurement groups `--only` selects from. */
export const REGISTRY_GROUPS = ['discovery', 'registration', 'push', 'keepalive'] as const;

/** Whether `--only` (none: everything) selects this group. */
const selected = (ctx: SuiteContext, group: (typeof REGISTRY_GROUPS)[number]): boolean =>
  ctx.only === null || ctx.only.has(group);

export const registrySuite: Suite = {
  name: 'registry',
  description: `discovery q/s and latency through the registry vs a prefix range on its store (${INSTANCES} instances, c=${DISCOVERY_CONCURRENCY}), registration throughput, SSE push latency`,
  async run(ctx: SuiteContext): Promise<SuiteOutcome> {
    requireEtcd();
    const registryMissing = registryUnavailableReason();
    if (registryMissing) throw new SuiteUnavailableError(registryMissing);
    const sizes = ctx.quick ? QUICK : FULL;
    const rows: ResultRow[] = [];
    const notes: string[] = [];
    const kinds: StoreKind[] = ['etcd', 'skyroad-store'];
    const labels: string[] = [];
    for (const kind of kinds) {
      if (!ctx.stores.includes(kind)) {
        notes.push(`${kind}: not run (--stores ${ctx.stores.join(',')}).`);
        continue;
      }
      const missing = unavailableReason(kind);
      if (missing) {
        notes.push(`${kind} under the registry: not available (${missing}).`);
        continue;
      }
      try {
        const store = await startStoreCluster(kind, { size: sizes.storeMembers, name: `bench-reg-${kind}` });
        labels.push(store.label);
        rows.push(...(await measureOn(store, sizes, ctx)));
      } catch (error) {
        if (kind === 'etcd') throw error;
        notes.push(`${kind} under the registry: failed (${String(error).split('\n')[0]}).`);
      } finally {
        await stopAllProcesses();
      }
    }
    notes.push(
      `Each store: ${sizes.storeMembers} member(s), durable writes (fsync). Discovery: GET ${servicePath('<svc>')}/instances through the registry vs etcd3 getAll().prefix('${storePrefix('<svc>')}') on the same store, both closed loop at concurrency ${DISCOVERY_CONCURRENCY}, ${DISCOVERY_WARMUP_MS} ms warm-up then ${sizes.discoveryMs} ms each; then the registry in an open loop (fixed arrival rate, latency from each request's due time) at ${DISCOVERY_RATIO_TARGET}x the store's q/s, capped at the registry's closed-loop q/s (the 'offered rate' row shows the cap), ${sizes.discoveryMs} ms: then the same open loop again with the registry on a core of its own (taskset: the registry on the last core, the bench process and the store members on the others, as when the registry has its own machine; affinity restored after): the p99 target applies to that run, the shared-core figure is shown next to it.`,
      `Discovery load generator: the bench process (etcd3 client; for the registry raw keep-alive HTTP/1.1 sockets that send Accept-Encoding: ${SDK_ACCEPT_ENCODING} as the SDK's fetch does, so answers come gzipped as the SDK gets them, and check the status and Content-Length of each answer and count its bytes without decoding them, reading into a buffer kept per connection; the content is checked once before). It shares the machine's cores with the registry and the store members: on a 2-core machine the q/s are a floor, the CPU-per-query rows carry over. Its own lag during the open loop is reported (how late it started requests after their due time, and its event-loop delay): that lateness counts in the open-loop p99, so when it is large the p99 is partly the generator's, not the registry's. The registry runs at its default log level (info: discovery GETs and heartbeats take the fast path ahead of Express/NestJS, their successes are not logged) and no OTLP endpoint (discovery GETs and heartbeats then get no span and skip OpenTelemetry's HTTP instrumentation; with an exporter each is traced again: about 100 µs more CPU per query, measured before).`,
      `Registration: POST .../instances (ttl ${INSTANCE_TTL_S} s) vs a lease grant + put with that lease on the store, concurrency ${REGISTER_CONCURRENCY}, ${sizes.registerMs} ms each.`,
      `Push: ${sizes.watchers} SSE streams on GET .../watch (one connection each) vs ${sizes.watchers} etcd watches on the prefix (over ${ETCD_WATCH_CLIENTS} clients); ${sizes.pushRounds} rounds of one registration; latency from just before the write to each watcher's event.`,
      keepaliveNote(keepaliveSizes(ctx.quick)),
    );
    return {
      competitor: 'store read/written directly (etcd3 client)',
      skyroad: 'through skyroad-registry',
      rows,
      notes: [`Stores: ${labels.join(', ')}.`, ...notes],
    };
  },
};

async function measureOn(store: StoreCluster, sizes: Sizes, ctx: SuiteContext): Promise<ResultRow[]> {
  const on = `on ${store.label}`;
  ctx.log(`registry ${on}: starting the registry`);
  const registry = await startRegistry(store.endpoints);
  const http = new HttpClient(registry.url, DISCOVERY_CONCURRENCY);
  const etcd = new Etcd3({ hosts: store.endpoints });
  const watchClients: Etcd3[] = [];
  let sse: SseWatchers | undefined;
  try {
    const discovery = selected(ctx, 'discovery')
      ? await measureDiscovery(store, registry, http, etcd, sizes, ctx)
      : [];

    let registration: ResultRow[] = [];
    if (selected(ctx, 'registration')) {
      ctx.log(`registry ${on}: registration`);
      const directReg = await closedLoop({
        concurrency: REGISTER_CONCURRENCY,
        durationMs: sizes.registerMs,
        op: async (seq) => {
          const lease = etcd.lease(INSTANCE_TTL_S, { autoKeepAlive: false });
          await lease
            .put(`${storePrefix(REGISTER_SERVICE)}direct-${seq}`)
            .value(JSON.stringify(instanceBody(seq, 'direct')));
          lease.release();
        },
      });
      assertMostlySucceeded('etcd3 lease grant + put', directReg);
      const viaRegistryReg = await closedLoop({
        concurrency: REGISTER_CONCURRENCY,
        durationMs: sizes.registerMs,
        op: async (seq) => {
          await http.expect(
            201,
            'POST',
            `${servicePath(REGISTER_SERVICE)}/instances`,
            instanceBody(seq, 'r'),
          );
        },
      });
      assertMostlySucceeded('registry registration', viaRegistryReg);
      registration = registrationRows(on, directReg, viaRegistryReg);
    }

    let push: ResultRow[] = [];
    if (selected(ctx, 'push')) {
      ctx.log(`registry ${on}: push to ${sizes.watchers} watchers`);
      await http.expect(201, 'POST', `${servicePath(PUSH_SERVICE)}/instances`, instanceBody(0, 'seed'));
      const sseProbe = new PushProbe(sizes.watchers);
      sse = await SseWatchers.open(
        `${registry.url}${servicePath(PUSH_SERVICE)}/watch`,
        sizes.watchers,
        (i, event, data) => {
          if (event === 'instance') sseProbe.seen(i, data);
        },
      );
      const ssePush: number[][] = [];
      for (let round = 0; round < sizes.pushRounds; round++) {
        const body = instanceBody(1000 + round, 'push');
        ssePush.push(
          await sseProbe.round(body.id, async () => {
            await http.expect(201, 'POST', `${servicePath(PUSH_SERVICE)}/instances`, body);
          }),
        );
      }
      sse.close();
      sse = undefined;

      const etcdProbe = new PushProbe(sizes.watchers);
      for (let c = 0; c < ETCD_WATCH_CLIENTS; c++) watchClients.push(new Etcd3({ hosts: store.endpoints }));
      const watchers = await Promise.all(
        Array.from({ length: sizes.watchers }, (_, i) =>
          watchClients[i % ETCD_WATCH_CLIENTS]
            .watch()
            .prefix(storePrefix(PUSH_SERVICE))
            .create()
            .then((w) => w.on('put', (kv) => etcdProbe.seen(i, kv.key.toString()))),
        ),
      );
      const etcdPush: number[][] = [];
      for (let round = 0; round < sizes.pushRounds; round++) {
        const key = `${storePrefix(PUSH_SERVICE)}direct-push-${round}`;
        etcdPush.push(
          await etcdProbe.round(key, async () => {
            await etcd.put(key).value(JSON.stringify(instanceBody(2000 + round, 'direct-push')));
          }),
        );
      }
      await Promise.all(watchers.map((w) => w.cancel()));
      push = pushRows(on, sizes.watchers, etcdPush, ssePush);
    }

    const keepalive = selected(ctx, 'keepalive')
      ? await measureKeepalive(store, keepaliveSizes(ctx.quick), ctx)
      : [];

    return [...discovery, ...registration, ...push, ...keepalive];
  } finally {
    sse?.close();
    http.close();
    etcd.close();
    for (const c of watchClients) c.close();
  }
}

/** Each side runs this long unmeasured first (JIT, connections, the registry's first answer). */
const DISCOVERY_WARMUP_MS = 300;
/**
 * What the SDK's discovery requests carry (Node's fetch sends it), so the load generator asks
 * for what the SDK gets: answers of 1 KiB and more gzipped, compressed once per answer.
 */
const SDK_ACCEPT_ENCODING = 'gzip, deflate';

/**
 * The discovery answer's bytes as an SDK receives them, checked once against the plain JSON:
 * during the runs the generator checks only the status and the length.
 */
async function sdkEncodedAnswer(http: HttpClient, path: string, json: string): Promise<Buffer> {
  // The registry compresses an answer from the second request that takes gzip on.
  await http.getRaw(path, { 'accept-encoding': SDK_ACCEPT_ENCODING });
  const raw = await http.getRaw(path, { 'accept-encoding': SDK_ACCEPT_ENCODING });
  const encoding = raw.headers['content-encoding'];
  const decoded = encoding === 'gzip' ? gunzipSync(raw.bytes) : raw.bytes;
  if (raw.status !== 200 || (encoding !== undefined && encoding !== 'gzip') || decoded.toString() !== json)
    throw new Error(
      `GET ${path} with Accept-Encoding ${SDK_ACCEPT_ENCODING}: ${raw.status} ${encoding ?? 'identity'}, not the plain answer`,
    );
  return raw.bytes;
}

/**
 * Discovery of one service of INSTANCES instances, three runs: the store directly, closed loop
 * (its maximum q/s); the registry, closed loop (its maximum: the ratio target); then the
 * registry in an open loop at 10x the store's q/s, capped at the registry's closed-loop
 * maximum, for the p99 at that load (the latency target: a closed loop at c=64 would only
 * show 64 / throughput, by Little's law).
 */
async function measureDiscovery(
  store: StoreCluster,
  registry: RegistryProcess,
  http: HttpClient,
  etcd: Etcd3,
  sizes: Sizes,
  ctx: SuiteContext,
): Promise<ResultRow[]> {
  const on = `on ${store.label}`;
  const path = `${servicePath(DISCOVERY_SERVICE)}/instances`;
  ctx.log(`registry ${on}: registering ${INSTANCES} instances`);
  for (let k = 0; k < INSTANCES; k++) {
    await http.expect(201, 'POST', path, instanceBody(k, 'd'));
  }
  // The content is checked once here; during the runs only the status and the length are.
  const answer = await http.expect(200, 'GET', path);
  const listed = JSON.parse(answer.body) as { instances: unknown[] };
  const stored = await etcd.getAll().prefix(storePrefix(DISCOVERY_SERVICE)).strings();
  if (listed.instances.length !== INSTANCES || Object.keys(stored).length !== INSTANCES)
    throw new Error(
      `expected ${INSTANCES} instances, registry lists ${listed.instances.length}, store holds ${Object.keys(stored).length}`,
    );

  ctx.log(`registry ${on}: discovery`);
  const storePids = store.members.map((m) => m.process.pid);
  const rangeOp = async () => {
    const kvs = await etcd.getAll().prefix(storePrefix(DISCOVERY_SERVICE)).strings();
    if (Object.keys(kvs).length !== INSTANCES) throw new Error('short range');
  };
  await closedLoop({ concurrency: DISCOVERY_CONCURRENCY, durationMs: DISCOVERY_WARMUP_MS, op: rangeOp });
  const directCpu = cpuMeter(storePids);
  const direct = await closedLoop({
    concurrency: DISCOVERY_CONCURRENCY,
    durationMs: sizes.discoveryMs,
    op: rangeOp,
  });
  assertMostlySucceeded('etcd3 range', direct);
  const directCost = directCpu.perOperation(direct.operations);
  const asSdk = await sdkEncodedAnswer(http, path, answer.body);
  ctx.log(
    `registry ${on}: the answer is ${Buffer.byteLength(answer.body)} bytes of JSON, ${asSdk.length} as the SDK gets it`,
  );
  const pool = new HttpGetPool(
    registry.url,
    path,
    DISCOVERY_CONCURRENCY,
    { status: 200, bodyBytes: asSdk.length },
    { 'Accept-Encoding': SDK_ACCEPT_ENCODING },
  );
  try {
    await closedLoop({
      concurrency: DISCOVERY_CONCURRENCY,
      durationMs: DISCOVERY_WARMUP_MS,
      op: () => pool.get(),
    });
    const viaCpu = cpuMeter([registry.process.pid, ...storePids]);
    const viaRegistry = await closedLoop({
      concurrency: DISCOVERY_CONCURRENCY,
      durationMs: sizes.discoveryMs,
      op: () => pool.get(),
    });
    assertMostlySucceeded('registry discovery', viaRegistry);
    const viaCost = viaCpu.perOperation(viaRegistry.operations);

    const tenfold = direct.opsPerSecond * DISCOVERY_RATIO_TARGET;
    const offered = Math.min(tenfold, viaRegistry.opsPerSecond);
    ctx.log(
      `registry ${on}: discovery, open loop at ${Math.round(offered)} q/s${offered < tenfold ? ' (capped)' : ''}`,
    );
    const runOpenLoop = () =>
      openLoop({ ratePerSecond: offered, durationMs: sizes.discoveryMs, op: () => pool.get() });
    const shared = await runOpenLoop();
    assertMostlySucceeded('registry discovery, open loop', shared);
    ctx.log(`registry ${on}: discovery, open loop again with the registry on a core of its own`);
    const isolated = await withDedicatedCore(registry.process.pid, [process.pid, ...storePids], runOpenLoop);
    assertMostlySucceeded('registry discovery, open loop (own core)', isolated.result);
    if (isolated.placement.dedicatedCore === null)
      ctx.log(`registry ${on}: could not give the registry a core of its own: ${isolated.placement.reason}`);
    return [
      ...discoveryRows(on, direct, viaRegistry),
      ...openLoopRows(on, direct, offered, shared, isolated),
      ...costRows(on, directCost, viaCost),
    ];
  } finally {
    pool.close();
  }
}

const DIRECT = 'etcd3 client on the store';
const VIA = 'skyroad-registry';

function discoveryRows(on: string, direct: LoadResult, via: LoadResult): ResultRow[] {
  return [
    row({
      metric: `discovery ${INSTANCES} instances, c=${DISCOVERY_CONCURRENCY}, ${on}`,
      unit: 'queries/s',
      better: 'higher',
      competitor: { name: DIRECT, value: direct.opsPerSecond },
      skyroad: { name: VIA, value: via.opsPerSecond },
      target: { on: 'ratio', op: '>=', value: DISCOVERY_RATIO_TARGET },
    }),
    row({
      metric: `discovery latency p50, ${on}`,
      unit: 'ms',
      better: 'lower',
      competitor: { name: DIRECT, value: direct.latency.p50 },
      skyroad: { name: VIA, value: via.latency.p50 },
    }),
    row({
      metric: `discovery latency p99, ${on}`,
      unit: 'ms',
      better: 'lower',
      competitor: { name: DIRECT, value: direct.latency.p99 },
      skyroad: { name: VIA, value: via.latency.p99 },
    }),
  ];
}

/**
 * The open loop at 10x the store's q/s: the rate offered (below 10x when capped at what the
 * registry sustained closed-loop, so the cap shows as a ratio under 10) and the p99 at it; and
 * how far the load generator kept up (its lateness counts in that p99).
 */
function openLoopRows(
  on: string,
  direct: LoadResult,
  offered: number,
  atLoad: OpenLoopResult,
  isolated: { result: OpenLoopResult; placement: Placement },
): ResultRow[] {
  const directMax = `${DIRECT} (closed loop, c=${DISCOVERY_CONCURRENCY})`;
  const viaOpen = `${VIA} (open loop)`;
  const core = isolated.placement.dedicatedCore;
  return [
    row({
      metric: `discovery offered rate, open loop (10x the store's q/s, capped at the registry's closed-loop max), ${on}`,
      unit: 'queries/s',
      better: 'higher',
      competitor: { name: directMax, value: direct.opsPerSecond },
      skyroad: { name: viaOpen, value: offered },
    }),
    row({
      metric: `discovery latency p99 at the offered rate (open loop, all processes sharing the cores), ${on}`,
      unit: 'ms',
      better: 'lower',
      competitor: { name: directMax, value: direct.latency.p99 },
      skyroad: { name: viaOpen, value: atLoad.latency.p99 },
    }),
    row({
      metric: `discovery latency p99 at the offered rate (open loop, the registry on a core of its own), ${on}`,
      unit: 'ms',
      better: 'lower',
      competitor: { name: directMax, value: direct.latency.p99 },
      skyroad:
        core === null
          ? unavailable(viaOpen, `no core of its own: ${isolated.placement.reason}`)
          : { name: `${viaOpen}, core ${core}`, value: isolated.result.latency.p99 },
      target: { on: 'skyroad', op: '<=', value: DISCOVERY_P99_TARGET_MS },
    }),
    // The generator's lateness counts in each p99: shown for both runs, so a miss can be told
    // apart from a generator starved on the cores left to it.
    ...(
      [
        ['all processes sharing the cores', atLoad],
        ['the registry on a core of its own', isolated.result],
      ] as const
    ).flatMap(([placement, run]) => [
      row({
        metric: `discovery open loop: load generator's start lateness p99 (${placement}), ${on}`,
        unit: 'ms',
        better: 'lower',
        competitor: unavailable(directMax, 'closed loop: no due times'),
        skyroad: { name: viaOpen, value: run.generator.startLate.p99 },
      }),
      row({
        metric: `discovery open loop: load generator's event-loop delay p99 (${placement}), ${on}`,
        unit: 'ms',
        better: 'lower',
        competitor: unavailable(directMax, 'closed loop: not measured'),
        skyroad: { name: viaOpen, value: run.generator.eventLoopDelayP99 },
      }),
    ]),
  ];
}

interface CpuCost {
  /** CPU µs per query of the serving side (store members; registry + store members). */
  server: number | null;
  /** CPU µs per query of the load generator (this process: HTTP or gRPC client). */
  client: number;
}

/** Measures CPU used by some processes and by this one between now and perOperation(). */
function cpuMeter(pids: ReadonlyArray<number | undefined>) {
  const server = totalCpuTimeMs(pids);
  const client = process.cpuUsage();
  return {
    perOperation(operations: number): CpuCost {
      const serverNow = totalCpuTimeMs(pids);
      const used = process.cpuUsage(client);
      return {
        server: server === null || serverNow === null ? null : ((serverNow - server) * 1000) / operations,
        client: (used.user + used.system) / operations,
      };
    },
  };
}

/** CPU per query: what the figures would scale with on a machine with more (or idle) cores. */
function costRows(on: string, direct: CpuCost, via: CpuCost): ResultRow[] {
  return [
    row({
      metric: `discovery server CPU per query, ${on}`,
      unit: 'µs',
      better: 'lower',
      competitor:
        direct.server === null
          ? unavailable(DIRECT, '/proc not readable')
          : { name: DIRECT, value: direct.server },
      skyroad:
        via.server === null ? unavailable(VIA, '/proc not readable') : { name: VIA, value: via.server },
    }),
    row({
      metric: `discovery client CPU per query, ${on}`,
      unit: 'µs',
      better: 'lower',
      competitor: { name: DIRECT, value: direct.client },
      skyroad: { name: VIA, value: via.client },
    }),
  ];
}

function registrationRows(on: string, direct: LoadResult, via: LoadResult): ResultRow[] {
  return [
    row({
      metric: `registration, c=${REGISTER_CONCURRENCY}, ${on}`,
      unit: 'registrations/s',
      better: 'higher',
      competitor: { name: `${DIRECT} (lease grant + put)`, value: direct.opsPerSecond },
      skyroad: { name: VIA, value: via.opsPerSecond },
    }),
    row({
      metric: `registration latency p99, ${on}`,
      unit: 'ms',
      better: 'lower',
      competitor: { name: DIRECT, value: direct.latency.p99 },
      skyroad: { name: VIA, value: via.latency.p99 },
    }),
  ];
}

const PUSH_P99_TARGET_MS = 200;

function pushRows(on: string, watchers: number, direct: number[][], via: number[][]): ResultRow[] {
  const p99 = (rounds: number[][]) => summarize(rounds.flat()).p99;
  const last = (rounds: number[][]) => median(rounds.map((r) => summarize(r).max));
  return [
    row({
      metric: `push to ${watchers} watchers p99, ${on}`,
      unit: 'ms',
      better: 'lower',
      competitor: { name: `${DIRECT} (watch)`, value: p99(direct) },
      skyroad: { name: `${VIA} (SSE)`, value: p99(via) },
      // Issue 10: push from a registration to 1,000 SSE watchers, p99 under 200 ms.
      target: { on: 'skyroad', op: '<=', value: PUSH_P99_TARGET_MS },
    }),
    row({
      metric: `push to ${watchers} watchers, last one (median of rounds), ${on}`,
      unit: 'ms',
      better: 'lower',
      competitor: { name: `${DIRECT} (watch)`, value: last(direct) },
      skyroad: { name: `${VIA} (SSE)`, value: last(via) },
    }),
  ];
}
