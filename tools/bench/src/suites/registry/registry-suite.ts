import { Etcd3 } from 'etcd3';
import { HttpClient } from '../../cluster/http-client';
import { totalCpuTimeMs } from '../../cluster/member-status';
import { stopAllProcesses } from '../../cluster/processes';
import { registryUnavailableReason, startRegistry } from '../../cluster/registry-process';
import { SseWatchers } from '../../cluster/sse-watchers';
import {
  requireEtcd,
  startStoreCluster,
  unavailableReason,
  type StoreCluster,
  type StoreKind,
} from '../../cluster/store-cluster';
import { assertMostlySucceeded, closedLoop, type LoadResult } from '../../load';
import { PushProbe } from '../../push-probe';
import { row, unavailable, type ResultRow } from '../../result';
import { median, summarize } from '../../stats';
import { SuiteUnavailableError, type Suite, type SuiteContext, type SuiteOutcome } from '../../suite';

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
      `Each store: ${sizes.storeMembers} member(s), durable writes (fsync). Discovery: GET ${servicePath('<svc>')}/instances through the registry vs etcd3 getAll().prefix('${storePrefix('<svc>')}') on the same store, both at concurrency ${DISCOVERY_CONCURRENCY}, ${sizes.discoveryMs} ms each, same load generator process.`,
      `Registration: POST .../instances (ttl ${INSTANCE_TTL_S} s) vs a lease grant + put with that lease on the store, concurrency ${REGISTER_CONCURRENCY}, ${sizes.registerMs} ms each.`,
      `Push: ${sizes.watchers} SSE streams on GET .../watch (one connection each) vs ${sizes.watchers} etcd watches on the prefix (over ${ETCD_WATCH_CLIENTS} clients); ${sizes.pushRounds} rounds of one registration; latency from just before the write to each watcher's event.`,
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
    ctx.log(`registry ${on}: registering ${INSTANCES} instances`);
    for (let k = 0; k < INSTANCES; k++) {
      await http.expect(201, 'POST', `${servicePath(DISCOVERY_SERVICE)}/instances`, instanceBody(k, 'd'));
    }
    const listed = JSON.parse(
      (await http.expect(200, 'GET', `${servicePath(DISCOVERY_SERVICE)}/instances`)).body,
    ) as {
      instances: unknown[];
    };
    const stored = await etcd.getAll().prefix(storePrefix(DISCOVERY_SERVICE)).strings();
    if (listed.instances.length !== INSTANCES || Object.keys(stored).length !== INSTANCES)
      throw new Error(
        `expected ${INSTANCES} instances, registry lists ${listed.instances.length}, store holds ${Object.keys(stored).length}`,
      );

    ctx.log(`registry ${on}: discovery`);
    const storePids = store.members.map((m) => m.process.pid);
    const directCpu = cpuMeter(storePids);
    const direct = await closedLoop({
      concurrency: DISCOVERY_CONCURRENCY,
      durationMs: sizes.discoveryMs,
      op: async () => {
        const kvs = await etcd.getAll().prefix(storePrefix(DISCOVERY_SERVICE)).strings();
        if (Object.keys(kvs).length !== INSTANCES) throw new Error('short range');
      },
    });
    assertMostlySucceeded('etcd3 range', direct);
    const directCost = directCpu.perOperation(direct.operations);
    const viaCpu = cpuMeter([registry.process.pid, ...storePids]);
    const viaRegistry = await closedLoop({
      concurrency: DISCOVERY_CONCURRENCY,
      durationMs: sizes.discoveryMs,
      op: async () => {
        await http.expect(200, 'GET', `${servicePath(DISCOVERY_SERVICE)}/instances`);
      },
    });
    assertMostlySucceeded('registry discovery', viaRegistry);
    const viaCost = viaCpu.perOperation(viaRegistry.operations);

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
        await http.expect(201, 'POST', `${servicePath(REGISTER_SERVICE)}/instances`, instanceBody(seq, 'r'));
      },
    });
    assertMostlySucceeded('registry registration', viaRegistryReg);

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

    return [
      ...discoveryRows(on, direct, viaRegistry),
      ...costRows(on, directCost, viaCost),
      ...registrationRows(on, directReg, viaRegistryReg),
      ...pushRows(on, sizes.watchers, etcdPush, ssePush),
    ];
  } finally {
    sse?.close();
    http.close();
    etcd.close();
    for (const c of watchClients) c.close();
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
      target: { on: 'skyroad', op: '<=', value: DISCOVERY_P99_TARGET_MS },
    }),
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
