import { Etcd3 } from 'etcd3';
import { HttpClient } from '../../cluster/http-client';
import { LeaseKeepAliveStreams } from '../../cluster/lease-keepalive-streams';
import { processRssBytes, rssBytes } from '../../cluster/member-status';
import { startRegistry } from '../../cluster/registry-process';
import { startStoreCluster, type StoreCluster } from '../../cluster/store-cluster';
import { closedLoop } from '../../load';
import { row, unavailable, type ResultRow, type Side } from '../../result';
import { nowMs, summarize, type LatencySummary } from '../../stats';
import type { SuiteContext } from '../../suite';
import { HeartbeatSchedule, settleBacklog, type BeatAnswer } from './heartbeat-schedule';

/**
 * The `keepalive` group: N instances registered through the registry and kept alive by
 * heartbeats, against N leases + keys kept alive directly on the store with the etcd3 client.
 * Each side gets its own fresh store cluster (same kind and size as the suite's), so that the
 * members' RSS shows what N instances cost and nothing else.
 */

export interface KeepaliveSizes {
  readonly instances: number;
  readonly services: number;
  readonly ttlSeconds: number;
  /** How long the instances are kept alive, after the last is registered, to measure. */
  readonly windowMs: number;
}

/**
 * TTLs: with 2 shared cores the registry answers ~1,000–2,000 heartbeats/s, so 100,000
 * instances need a TTL of 300 s (a heartbeat every 100 s: 1,000/s). The README's 30 s would
 * need 10,000/s. --quick keeps the 30 s TTL for its 5,000 instances (500/s).
 */
export const KEEPALIVE_QUICK: KeepaliveSizes = {
  instances: 5_000,
  services: 10,
  ttlSeconds: 30,
  windowMs: 5_000,
};
export const KEEPALIVE_FULL: KeepaliveSizes = {
  instances: 100_000,
  services: 50,
  ttlSeconds: 300,
  windowMs: 60_000,
};

/** Registrations (lease grants + puts) in flight while loading. */
const REGISTER_CONCURRENCY = 64;
/** Heartbeats (lease keep-alives) in flight at most. */
const HEARTBEAT_CONCURRENCY = 64;
/** LeaseKeepAlive streams the direct side renews its leases over. */
const LEASE_STREAMS = 4;
/** The window's heartbeat rate should be the schedule's (N / (TTL / 3)) within this much. */
const SUSTAINED_SHARE = 0.95;
const PROGRESS_EVERY_MS = 15_000;
/** The window starts once no heartbeat is later than this (or after SETTLE_PERIODS periods)... */
const SETTLED_OVERDUE_MS = 100;
/**
 * ...so long to catch up at most. One period was too short for the registry on etcd on a slow
 * VM (session 12): its heartbeats were still 54 s behind when the window began, and the
 * window's rate (1,486/s against a schedule of 1,000/s) was mostly the catching up.
 */
const SETTLE_PERIODS = 3;
const SETTLE_POLL_MS = 100;

/** The sizes, with SKYROAD_BENCH_KEEPALIVE_INSTANCES / _TTL / _WINDOW_S overriding them. */
export function keepaliveSizes(quick: boolean): KeepaliveSizes {
  const base = quick ? KEEPALIVE_QUICK : KEEPALIVE_FULL;
  const env = (name: string): number | undefined => {
    const raw = process.env[`SKYROAD_BENCH_KEEPALIVE_${name}`];
    if (raw === undefined || raw === '') return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value) || value <= 0)
      throw new Error(`SKYROAD_BENCH_KEEPALIVE_${name} must be a positive integer, not "${raw}"`);
    return value;
  };
  const windowS = env('WINDOW_S');
  return {
    ...base,
    instances: env('INSTANCES') ?? base.instances,
    ttlSeconds: env('TTL') ?? base.ttlSeconds,
    windowMs: windowS === undefined ? base.windowMs : windowS * 1000,
  };
}

/** Heartbeats per second the schedule asks for: each instance every TTL / 3. */
export const requiredRate = (sizes: KeepaliveSizes): number => sizes.instances / (sizes.ttlSeconds / 3);

/** The suite note describing the method. */
export function keepaliveNote(sizes: KeepaliveSizes): string {
  return (
    `Keepalive: ${sizes.instances} instances over ${sizes.services} services, TTL ${sizes.ttlSeconds} s, registered at concurrency ${REGISTER_CONCURRENCY} ` +
    `(POST .../instances vs a lease grant + put on the store), each then renewed every TTL/3 = ${sizes.ttlSeconds / 3} s ` +
    `(PUT .../heartbeat vs a lease keep-alive over ${LEASE_STREAMS} LeaseKeepAlive streams; first renewal at a random point of the first period, ` +
    `as SDKs spread theirs), so the schedule needs ${Math.round(requiredRate(sizes))} renewals/s; at most ${HEARTBEAT_CONCURRENCY} in flight, ` +
    `heartbeats run during the load too. After the last registration and once no renewal is more than ${SETTLED_OVERDUE_MS} ms late (waiting at most ${SETTLE_PERIODS} periods; a side still behind then says by how much), a ${sizes.windowMs / 1000} s window measures the renewal rate ` +
    `(target: ${SUSTAINED_SHARE * 100}% of the schedule's) and latency (from each renewal's due time, so lateness counts); then the instances ` +
    `still listed (GET .../instances per service; the store: a count of the prefix) must be all of them, and no instance may have gone ` +
    `longer than its TTL without a renewal. RSS at the end of the window. Each side on a fresh store cluster of the same kind and size ` +
    `(the registry side with a fresh registry on SQLite); the load generator is the bench process (node:http keep-alive agents; etcd3 client).`
  );
}

const NS = 'default';
const SERVICE = 'bench-keepalive';
const serviceOf = (sizes: KeepaliveSizes, k: number): string => `${SERVICE}-${k % sizes.services}`;
const idOf = (k: number): string => `ka-${k}`;

function instanceBody(k: number, ttl: number) {
  return {
    id: idOf(k),
    host: `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`,
    port: 8080,
    ttl,
    metadata: { version: k % 2 ? 'v2' : 'v1', zone: 'bj-a' },
  };
}

/** One side of the comparison: how it registers, renews and counts instances. */
interface KeepaliveSide {
  register(k: number): Promise<void>;
  heartbeat(k: number): Promise<BeatAnswer>;
  countAlive(): Promise<number>;
  /** Registry RSS (null: no registry on this side) and each store member's, in bytes. */
  rss(): { registry: number | null; members: (number | null)[] };
  close(): void;
}

interface KeepaliveFigures {
  registrationsPerSecond: number;
  heartbeatsPerSecond: number;
  heartbeatLatency: LatencySummary;
  longestGapMs: number;
  alive: number;
  registryRss: number | null;
  memberRss: (number | null)[];
  /** What went wrong, if anything (failed or refused renewals). */
  problems: string[];
}

async function runKeepalive(
  side: KeepaliveSide,
  sizes: KeepaliveSizes,
  log: (message: string) => void,
): Promise<KeepaliveFigures> {
  const periodMs = (sizes.ttlSeconds * 1000) / 3;
  const schedule = new HeartbeatSchedule(sizes.instances, periodMs, HEARTBEAT_CONCURRENCY, (k) =>
    side.heartbeat(k),
  );
  let registered = 0;
  const progress = setInterval(() => log(`keepalive: ${registered} registered`), PROGRESS_EVERY_MS);
  schedule.start();
  try {
    const load = await closedLoop({
      concurrency: REGISTER_CONCURRENCY,
      total: sizes.instances,
      op: async (k) => {
        await side.register(k);
        schedule.registered(k);
        registered++;
      },
    });
    clearInterval(progress);
    if (load.errors > 0)
      throw new Error(`keepalive: ${load.errors} registrations failed; first: ${load.firstError}`);
    // Heartbeats that fell behind while registrations took the server's time are sent first:
    // the window measures the steady state, not the catching up.
    const settled = await settleBacklog(
      schedule,
      SETTLED_OVERDUE_MS,
      SETTLE_PERIODS * periodMs,
      SETTLE_POLL_MS,
    );
    const duringLoad = schedule.mark();
    const waited = (settled.waitedMs / 1000).toFixed(1);
    const backlog =
      settled.behindMs > 0
        ? `renewals were still ${(settled.behindMs / 1000).toFixed(1)} s behind schedule ${waited} s after the load`
        : undefined;
    log(
      `keepalive: ${sizes.instances} registered in ${load.seconds.toFixed(1)} s, ` +
        `${backlog ?? `heartbeats caught up in ${waited} s`}; window`,
    );
    const windowStart = nowMs();
    await new Promise((resolve) => setTimeout(resolve, sizes.windowMs));
    const window = schedule.mark();
    const windowSeconds = (nowMs() - windowStart) / 1000;
    const rss = side.rss();
    const alive = await side.countAlive();
    const longestGapMs = schedule.longestGapMs();
    const problems: string[] = [];
    if (backlog) problems.push(`${backlog}, when the window began: the window's rate includes catching up`);
    for (const [phase, c] of [
      ['during the load', duringLoad],
      ['in the window', window],
    ] as const) {
      if (c.gone > 0) problems.push(`${c.gone} renewals ${phase} found the instance gone`);
      if (c.errors > 0) problems.push(`${c.errors} renewals ${phase} failed (first: ${c.firstError})`);
    }
    return {
      registrationsPerSecond: load.opsPerSecond,
      heartbeatsPerSecond: window.renewed / windowSeconds,
      heartbeatLatency: summarize(window.latencies),
      longestGapMs,
      alive,
      registryRss: rss.registry,
      memberRss: rss.members,
      problems,
    };
  } finally {
    clearInterval(progress);
    await schedule.stop();
  }
}

function registrySide(
  url: string,
  registryPid: () => number | null,
  store: StoreCluster,
  sizes: KeepaliveSizes,
) {
  const writes = new HttpClient(url, REGISTER_CONCURRENCY);
  const beats = new HttpClient(url, HEARTBEAT_CONCURRENCY);
  const instances = (k: number) => `/v1/namespaces/${NS}/services/${serviceOf(sizes, k)}/instances`;
  const side: KeepaliveSide = {
    async register(k) {
      await writes.expect(201, 'POST', instances(k), instanceBody(k, sizes.ttlSeconds));
    },
    async heartbeat(k) {
      const answer = await beats.send('PUT', `${instances(k)}/${idOf(k)}/heartbeat`);
      if (answer.status === 200) return 'renewed';
      if (answer.status === 404) return 'gone';
      throw new Error(`heartbeat: ${answer.status}: ${answer.body.slice(0, 200)}`);
    },
    async countAlive() {
      let alive = 0;
      for (let s = 0; s < Math.min(sizes.services, sizes.instances); s++) {
        const answer = await writes.expect(200, 'GET', instances(s));
        alive += (JSON.parse(answer.body) as { instances: unknown[] }).instances.length;
      }
      return alive;
    },
    rss: () => ({ registry: processRssBytes(registryPid()), members: store.members.map(rssBytes) }),
    close() {
      writes.close();
      beats.close();
    },
  };
  return side;
}

async function directSide(store: StoreCluster, sizes: KeepaliveSizes): Promise<KeepaliveSide> {
  const etcd = new Etcd3({ hosts: store.endpoints });
  const streams = await LeaseKeepAliveStreams.open(etcd, LEASE_STREAMS);
  const leases: string[] = new Array<string>(sizes.instances);
  const prefix = `/skyroad/registry/${NS}/${SERVICE}-`;
  return {
    async register(k) {
      const granted = await etcd.leaseClient.leaseGrant({ TTL: sizes.ttlSeconds });
      leases[k] = String(granted.ID);
      await etcd
        .put(`${prefix}${k % sizes.services}/${idOf(k)}`)
        .value(JSON.stringify(instanceBody(k, sizes.ttlSeconds)))
        .lease(leases[k]);
    },
    async heartbeat(k) {
      return (await streams.keepAliveOnce(leases[k])) > 0 ? 'renewed' : 'gone';
    },
    countAlive: () => etcd.getAll().prefix(prefix).count(),
    rss: () => ({ registry: null, members: store.members.map(rssBytes) }),
    close() {
      streams.close();
      etcd.close();
    },
  };
}

async function stopCluster(store: StoreCluster): Promise<void> {
  for (const member of [...store.members].reverse()) await member.process.stop();
}

/** Measures both sides on fresh clusters like `like`, then stops them; answers the rows. */
export async function measureKeepalive(
  like: StoreCluster,
  sizes: KeepaliveSizes,
  ctx: SuiteContext,
): Promise<ResultRow[]> {
  const on = `on ${like.label}`;
  const start = (side: string) =>
    startStoreCluster(like.kind, { size: like.members.length, name: `bench-ka-${side}` });
  const log = (message: string) => ctx.log(`registry ${on}: ${message}`);

  log(`keepalive, store directly: ${sizes.instances} leases + keys`);
  const directStore = await start('direct');
  let direct: KeepaliveFigures;
  try {
    const side = await directSide(directStore, sizes);
    try {
      direct = await runKeepalive(side, sizes, log);
    } finally {
      side.close();
    }
  } finally {
    await stopCluster(directStore);
  }

  log(`keepalive, through the registry: ${sizes.instances} instances`);
  const viaStore = await start('via');
  let via: KeepaliveFigures;
  try {
    const registry = await startRegistry(viaStore.endpoints);
    try {
      const side = registrySide(registry.url, () => registry.process.pid ?? null, viaStore, sizes);
      try {
        via = await runKeepalive(side, sizes, log);
      } finally {
        side.close();
      }
    } finally {
      await registry.process.stop();
    }
  } finally {
    await stopCluster(viaStore);
  }
  return keepaliveRows(on, sizes, direct, via);
}

const DIRECT = 'etcd3 client on the store';
const VIA = 'skyroad-registry';
const MIB = 1024 * 1024;

/** A measured side; `figures`' problems (failed or refused renewals, a backlog left) become its note. */
function side(name: string, value: number, figures?: KeepaliveFigures): Side {
  return figures && figures.problems.length > 0
    ? { name, value, note: figures.problems.join('; ') }
    : { name, value };
}

const rssSide = (name: string, bytes: number | null | undefined): Side =>
  bytes === null || bytes === undefined
    ? unavailable(name, '/proc not readable')
    : { name, value: bytes / MIB };

function keepaliveRows(
  on: string,
  sizes: KeepaliveSizes,
  direct: KeepaliveFigures,
  via: KeepaliveFigures,
): ResultRow[] {
  const n = sizes.instances;
  const required = requiredRate(sizes);
  const rows: ResultRow[] = [
    row({
      metric: `keepalive: loading ${n} instances, c=${REGISTER_CONCURRENCY}, ${on}`,
      unit: 'registrations/s',
      better: 'higher',
      competitor: side(`${DIRECT} (lease grant + put)`, direct.registrationsPerSecond),
      skyroad: side(VIA, via.registrationsPerSecond),
    }),
    row({
      metric: `keepalive: renewals sustained, ${n} instances, TTL ${sizes.ttlSeconds} s (schedule: ${Math.round(required)}/s), ${on}`,
      unit: 'heartbeats/s',
      better: 'higher',
      competitor: side(`${DIRECT} (lease keep-alive)`, direct.heartbeatsPerSecond, direct),
      skyroad: side(`${VIA} (PUT .../heartbeat)`, via.heartbeatsPerSecond, via),
      target: { on: 'skyroad', op: '>=', value: Math.floor(required * SUSTAINED_SHARE) },
    }),
    row({
      metric: `keepalive: renewal latency p99 (from due time), ${on}`,
      unit: 'ms',
      better: 'lower',
      competitor: side(DIRECT, direct.heartbeatLatency.p99, direct),
      skyroad: side(VIA, via.heartbeatLatency.p99, via),
    }),
    row({
      metric: `keepalive: instances still listed after the window, ${on}`,
      unit: 'instances',
      better: 'higher',
      competitor: side(DIRECT, direct.alive, direct),
      skyroad: side(VIA, via.alive, via),
      target: { on: 'skyroad', op: '>=', value: n },
    }),
    row({
      metric: `keepalive: longest time an instance went unrenewed (TTL ${sizes.ttlSeconds} s), ${on}`,
      unit: 's',
      better: 'lower',
      competitor: side(DIRECT, direct.longestGapMs / 1000),
      skyroad: side(VIA, via.longestGapMs / 1000),
      target: { on: 'skyroad', op: '<=', value: sizes.ttlSeconds },
    }),
    row({
      metric: `keepalive: registry RSS with ${n} instances, ${on}`,
      unit: 'MiB',
      better: 'lower',
      competitor: unavailable(DIRECT, 'no registry: the store is used directly'),
      skyroad: rssSide(VIA, via.registryRss),
    }),
  ];
  via.memberRss.forEach((bytes, i) =>
    rows.push(
      row({
        metric: `keepalive: store member ${i + 1} RSS with ${n} instances, ${on}`,
        unit: 'MiB',
        better: 'lower',
        competitor: rssSide(DIRECT, direct.memberRss[i]),
        skyroad: rssSide(VIA, bytes),
      }),
    ),
  );
  return rows;
}
