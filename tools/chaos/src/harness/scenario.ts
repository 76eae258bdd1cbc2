import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Etcd3 } from 'etcd3';
import { checkHistory } from '../checker/check';
import { prefixEnd, type History, type Violation } from '../history/types';
import { SeededRandom } from '../random';
import { Cluster, clientFor, sleep, type StoreKind } from './cluster';
import { runFaults, type FaultKind } from './faults';
import { HistoryRecorder } from './recorder';
import { runClient } from './traffic';
import { WatchRecorder, type WatchSpec } from './watch-recorder';

/*
 * One scenario: a fresh cluster, seeded traffic and watches, seeded faults, then every fault
 * healed, a final read, the watches drained, and the whole history checked. Real processes
 * and real time make a run only approximately reproducible from its seed: the seed fixes
 * the choices (fault kinds, targets, timings, traffic mix), not the interleavings.
 */

export interface ScenarioOptions {
  store: StoreKind;
  seed: number;
  durationS: number;
  fault?: FaultKind;
  size?: number;
  clients?: number;
  /** --snapshot-count of every member (default SNAPSHOT_COUNT). */
  snapshotCount?: number;
  /** Broken-client variant: "linearizable" reads are sent serializable to one follower that gets partitioned. */
  staleReads?: boolean;
  /** Broken-watch variant for one of the watches. */
  tamperWatch?: 'drop' | 'reorder';
  log?: (line: string) => void;
  keepDir?: boolean;
  /**
   * Run against an existing cluster (e.g. the testkit's startEtcdCluster) instead of starting
   * one: no faults are injected, the store must be fresh.
   */
  endpoints?: string[];
}

export interface ScenarioResult {
  store: StoreKind;
  histories: number;
  operations: number;
  watchResponses: number;
  violations: Violation[];
  faults: string[];
  inconclusive: number;
  outcomes: Record<string, number>;
  /** Error messages of failed and unknown operations, with counts. */
  errors: Record<string, number>;
  noSpaceRefusals: number;
  dir: string;
}

const CLUSTER_SIZE = 3;
/** Small, so a run crosses several snapshots and restarted members may be sent one. */
const SNAPSHOT_COUNT = 300;
const TRAFFIC_CLIENTS = 3;
const THINK_MS = 5;
const HEAL_TIMEOUT_MS = 30_000;
const DRAIN_TIMEOUT_MS = 15_000;
const FINAL_READ_ATTEMPTS = 40;
const DISK_QUOTA_BYTES = 4 * 1024 * 1024;
const FILL_VALUE_BYTES = 64 * 1024;
const FILL_MAX_PUTS = 400;

export async function runScenario(o: ScenarioOptions): Promise<ScenarioResult> {
  const log = o.log ?? (() => undefined);
  const random = new SeededRandom(o.seed);
  const dir = mkdtempSync(join(tmpdir(), `skyroad-chaos-${o.seed}-`));
  const prefix = `/chaos/${o.seed}/`;
  const diskFull = o.fault === 'disk-full';
  const cluster = o.endpoints
    ? undefined
    : await Cluster.start({
        store: o.store,
        size: o.size ?? CLUSTER_SIZE,
        dir,
        token: `chaos-${o.seed}`,
        snapshotCount: o.snapshotCount ?? SNAPSHOT_COUNT,
        ...(diskFull ? { quotaBackendBytes: DISK_QUOTA_BYTES } : {}),
      }).catch((error: unknown) => {
        if (!o.keepDir) rmSync(dir, { recursive: true, force: true });
        throw error;
      });
  const clients: Etcd3[] = (o.endpoints ?? cluster!.endpoints).map(clientFor);
  const recorder = new HistoryRecorder();
  const watches: WatchRecorder[] = [];
  try {
    const initial = await clients[0].kv.range({ key: Buffer.from(prefix) });
    const firstRevision = Number(initial.header.revision) + 1;
    let watchId = 0;
    const startWatch = (spec: Omit<WatchSpec, 'id'>): WatchRecorder => {
      const w = new WatchRecorder(
        { ...spec, id: ++watchId },
        clients,
        () => recorder.now(),
        random.int(0, clients.length - 1),
      );
      watches.push(w);
      void w.start();
      return w;
    };
    const prefixRange = prefixEnd(prefix);
    // The witness: the whole prefix from the first revision, with prev_kv; it defines the event log.
    const witness = startWatch({
      key: prefix,
      rangeEnd: prefixRange,
      prevKv: true,
      startRevision: firstRevision,
    });
    startWatch({
      key: prefix,
      rangeEnd: prefixRange,
      prevKv: false,
      startRevision: firstRevision,
      ...(o.tamperWatch ? { tamper: o.tamperWatch } : {}),
    });

    const durationMs = o.durationS * 1000;
    const deadlineMs = Date.now() + durationMs;
    let staleMember: number | undefined;
    if (o.staleReads && cluster) {
      const leader = (await cluster.leader()) ?? 0;
      staleMember = (leader + 1) % cluster.members.length;
    }
    const traffic = Array.from({ length: o.clients ?? TRAFFIC_CLIENTS }, (_, client) =>
      runClient({
        prefix,
        clients,
        recorder,
        random: random.fork(),
        client,
        deadlineMs,
        thinkMs: THINK_MS,
        ...(staleMember !== undefined ? { staleReadsTo: staleMember } : {}),
      }),
    );
    // Later watches: from now on one key, from a past revision on the txn keys, with and without prev_kv.
    const laterWatches = (async () => {
      await sleep(Math.min(1_000, durationMs / 4));
      startWatch({ key: `${prefix}k/${random.int(0, 5)}`, rangeEnd: '', prevKv: true, startRevision: 0 });
      const now = Number(
        (await clients[0].kv.range({ key: Buffer.from(prefix) }).catch(() => undefined))?.header.revision ??
          firstRevision,
      );
      startWatch({
        key: `${prefix}t/`,
        rangeEnd: prefixEnd(`${prefix}t/`),
        prevKv: random.chance(0.5),
        startRevision: random.int(firstRevision, Math.max(firstRevision, now)),
      });
      startWatch({ key: `${prefix}l/`, rangeEnd: prefixEnd(`${prefix}l/`), prevKv: true, startRevision: 0 });
    })();

    const faultCtx = {
      cluster: cluster!,
      clients,
      random: random.fork(),
      log,
      compactableRevision: () => {
        // Only below what every watch has delivered, so no watch has to resume below the compaction.
        const progress = watches.map((w) => w.progress).filter((p) => p > 0);
        return progress.length === watches.length ? Math.min(...progress) - 1 : 0;
      },
    };
    let faults: Promise<string[]>;
    let noSpace: Promise<number> = Promise.resolve(0);
    if (!cluster) faults = Promise.resolve([]);
    else if (o.staleReads) faults = staleFaults(cluster, staleMember!, deadlineMs, log);
    else if (diskFull) {
      faults = Promise.resolve(['disk-full']);
      noSpace = fillDisk(clients, recorder, prefix, deadlineMs, log);
    } else faults = runFaults(faultCtx, o.fault, deadlineMs);

    await Promise.all(traffic);
    const injected = await faults;
    const noSpaceRefusals = await noSpace;
    await laterWatches;

    // Heal everything, then a final linearizable read gives the revision the log must reach.
    if (cluster) {
      cluster.heal();
      for (const m of cluster.members) {
        if (!m.process.running) m.process.start();
        else m.process.resume();
      }
      await cluster.waitLeader(HEAL_TIMEOUT_MS);
    }
    let lastRevision = 0;
    let finalKeys: string[] = [];
    for (let attempt = 0; attempt < FINAL_READ_ATTEMPTS && lastRevision === 0; attempt++) {
      try {
        const r = await clients[attempt % clients.length].kv.range(
          { key: Buffer.from(prefix), range_end: Buffer.from(prefixEnd(prefix), 'latin1') },
          { deadline: Date.now() + 2_000 },
        );
        lastRevision = Number(r.header.revision);
        finalKeys = r.kvs.map(
          (kv) => `${kv.key.toString()}=${kv.value.toString().slice(0, 40)}@${kv.mod_revision}`,
        );
      } catch {
        await sleep(250);
      }
    }
    const drainUntil = Date.now() + DRAIN_TIMEOUT_MS;
    while (witness.progress < lastRevision && !witness.canceledByCompaction && Date.now() < drainUntil)
      await sleep(100);
    await sleep(300);
    await Promise.all(watches.map((w) => w.stop()));

    const divergence = cluster ? await membersConverge(clients, prefix, lastRevision, finalKeys) : [];
    const history: History = { operations: recorder.operations, watches: watches.map((w) => w.record) };
    const report = checkHistory(history, { firstRevision, lastRevision });
    const violations = [...report.violations, ...divergence];
    if (diskFull && noSpaceRefusals === 0)
      violations.push({
        checker: 'disk-full',
        message: `no write was refused with NOSPACE after filling a ${DISK_QUOTA_BYTES}-byte quota`,
      });
    for (const m of cluster?.members ?? [])
      for (const crash of m.process.crashes)
        violations.push({
          checker: 'member-crashed',
          message: `${m.name} exited by itself (code ${crash.code}, signal ${crash.signal}): ${crashCause(crash.logTail)}; log ${m.process.logFile}`,
        });
    const outcomes: Record<string, number> = {};
    for (const op of recorder.operations) outcomes[op.outcome] = (outcomes[op.outcome] ?? 0) + 1;
    const errors: Record<string, number> = {};
    for (const op of recorder.operations)
      if (op.error) {
        const e = op.error.replace(/\d+(\.\d+)?s|127\.0\.0\.1:\d+/g, '#').slice(0, 80);
        errors[e] = (errors[e] ?? 0) + 1;
      }
    const histories = 1 + report.partitions;
    // Optional tally of every run (for reports): one line per scenario.
    const ledger = process.env.SKYROAD_CHAOS_LEDGER;
    if (ledger)
      appendFileSync(
        ledger,
        `${o.store} seed=${o.seed} fault=${o.fault ?? (o.staleReads ? 'stale-reads' : o.tamperWatch ? `tamper-${o.tamperWatch}` : 'mixed')} histories=${histories} operations=${recorder.operations.length} violations=${violations.length}\n`,
      );
    return {
      errors,
      store: o.store,
      histories,
      operations: recorder.operations.length,
      watchResponses: history.watches.reduce(
        (n, w) => n + w.segments.reduce((m, s) => m + s.responses.length, 0),
        0,
      ),
      violations,
      faults: injected,
      inconclusive: report.inconclusive,
      outcomes,
      noSpaceRefusals,
      dir,
    };
  } catch (error) {
    if (cluster) log(cluster.describeLogs());
    throw error;
  } finally {
    await Promise.all(watches.map((w) => w.stop()));
    for (const c of clients) c.close();
    await cluster?.stop();
    if (!o.keepDir) rmSync(dir, { recursive: true, force: true });
  }
}

/** The broken-client variant's fault: the follower that serves the "linearizable" reads keeps getting cut off. */
async function staleFaults(
  cluster: Cluster,
  member: number,
  deadlineMs: number,
  log: (line: string) => void,
): Promise<string[]> {
  const done: string[] = [];
  await sleep(300);
  while (Date.now() + 1_500 < deadlineMs) {
    cluster.isolate([member]);
    log(`fault: partition m${member + 1} (serves the stale reads)`);
    done.push(`partition m${member + 1}`);
    await sleep(1_500);
    cluster.heal();
    await sleep(300);
  }
  return done;
}

/** Disk full: big puts until the store raises NOSPACE; returns how many writes it refused. */
async function fillDisk(
  clients: Etcd3[],
  recorder: HistoryRecorder,
  prefix: string,
  deadlineMs: number,
  log: (line: string) => void,
): Promise<number> {
  const pad = 'x'.repeat(FILL_VALUE_BYTES);
  let refused = 0;
  for (let n = 0; n < FILL_MAX_PUTS && Date.now() < deadlineMs; n++) {
    const op = await recorder.run(
      99,
      clients[n % clients.length],
      {
        kind: 'txn',
        compares: [],
        success: [{ type: 'put', key: `${prefix}fill/${n % 8}`, value: `fill.${n}.${pad}` }],
        failure: [],
      },
      5_000,
    );
    if (op.outcome === 'failed' && /space exceeded/i.test(op.error ?? '')) {
      refused++;
      if (refused === 1) log(`fault: NOSPACE after ${n} fill writes`);
      if (refused >= 3) break;
    }
  }
  // Count the traffic's refusals too.
  return (
    recorder.operations.filter((op) => op.outcome === 'failed' && /space exceeded/i.test(op.error ?? ''))
      .length || refused
  );
}

const CONVERGE_TIMEOUT_MS = 15_000;

/**
 * After healing, every member must reach the final revision and hold exactly the key space the
 * final linearizable read returned (a member that applied differently has diverged).
 */
async function membersConverge(
  clients: Etcd3[],
  prefix: string,
  lastRevision: number,
  expected: string[],
): Promise<Violation[]> {
  const violations: Violation[] = [];
  const want = expected.join(',');
  await Promise.all(
    clients.map(async (client, i) => {
      const until = Date.now() + CONVERGE_TIMEOUT_MS;
      let seen = 'no answer';
      while (Date.now() < until) {
        try {
          const r = await client.kv.range(
            {
              key: Buffer.from(prefix),
              range_end: Buffer.from(prefixEnd(prefix), 'latin1'),
              serializable: true,
            },
            { deadline: Date.now() + 2_000 },
          );
          const revision = Number(r.header.revision);
          const got = r.kvs
            .map((kv) => `${kv.key.toString()}=${kv.value.toString().slice(0, 40)}@${kv.mod_revision}`)
            .join(',');
          if (revision === lastRevision && got === want) return;
          seen = `revision ${revision}, ${r.kvs.length} keys${revision === lastRevision ? ` differing: ${diff(got, want)}` : ''}`;
        } catch (error) {
          seen = (error as Error).message;
        }
        await sleep(250);
      }
      violations.push({
        checker: 'members-converge',
        message: `member ${i + 1} did not converge to revision ${lastRevision} with ${expected.length} keys: ${seen}`,
      });
    }),
  );
  return violations;
}

function diff(got: string, want: string): string {
  const g = new Set(got.split(','));
  const w = new Set(want.split(','));
  const extra = [...g].filter((x) => !w.has(x)).slice(0, 3);
  const missing = [...w].filter((x) => !g.has(x)).slice(0, 3);
  return `extra [${extra.join(' ')}] missing [${missing.join(' ')}]`;
}

/** The fatal line of a member's log (pino JSON: level 60), in one line. */
function crashCause(logTail: string): string {
  const lines = logTail.split('\n').filter((l) => l.includes('"level":60'));
  for (const line of lines) {
    try {
      const entry = JSON.parse(line) as {
        msg?: string;
        err?: { type?: string; message?: string; stack?: string };
      };
      const frame = entry.err?.stack?.split('\n')[1]?.trim() ?? '';
      return `${entry.msg ?? ''}: ${entry.err?.type ?? ''}: ${entry.err?.message ?? ''} ${frame}`;
    } catch {
      // not JSON
    }
  }
  return logTail.slice(-400).replace(/\n/g, ' | ');
}
