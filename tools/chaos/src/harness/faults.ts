import type { Etcd3 } from 'etcd3';
import type { SeededRandom } from '../random';
import { sleep, type Cluster } from './cluster';

export const FAULT_KINDS = [
  'kill-leader',
  'kill-follower',
  'kill-all',
  'pause',
  'partition',
  'blackhole',
  'slow',
  'compact-defrag',
  'disk-full',
  'replace-member',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Faults drawn when none is named (disk-full needs a cluster started with a small quota). */
const MIXED: FaultKind[] = [
  'kill-leader',
  'kill-follower',
  'pause',
  'partition',
  'blackhole',
  'slow',
  'compact-defrag',
];

let replacements = 0;
const REPLACE_SETTLE_MS = 15_000;
const RECOVERY_TIMEOUT_MS = 15_000;

const FIRST_FAULT_AFTER_MS = [300, 800] as const;
const HOLD_MS = [400, 1_500] as const;
const BETWEEN_MS = [300, 1_000] as const;
const SLOW_DELAY_MS = [30, 150] as const;
const MAINTENANCE_TIMEOUT_MS = 5_000;

export interface FaultContext {
  cluster: Cluster;
  clients: Etcd3[];
  random: SeededRandom;
  log: (line: string) => void;
  /** The highest revision that is safe to compact to (no watch needs to resume below it). */
  compactableRevision: () => number;
}

async function target(ctx: FaultContext, leader: boolean): Promise<number> {
  const l = await ctx.cluster.leader();
  const n = ctx.cluster.members.length;
  if (leader) return l ?? ctx.random.int(0, n - 1);
  const followers = ctx.cluster.members.map((m) => m.index).filter((i) => i !== l);
  return ctx.random.pick(followers);
}

/** Injects one fault, holds it, heals it. Returns what it did. */
export async function injectFault(ctx: FaultContext, kind: FaultKind): Promise<string> {
  const { cluster, random } = ctx;
  const hold = (): Promise<void> => sleep(random.int(...HOLD_MS));
  switch (kind) {
    case 'kill-leader':
    case 'kill-follower': {
      const i = await target(ctx, kind === 'kill-leader');
      await cluster.kill(i);
      await hold();
      cluster.restart(i);
      return `${kind} m${i + 1}`;
    }
    case 'kill-all': {
      // Every member at once (a power cut without page-cache loss): restart must replay the WAL.
      await Promise.all(cluster.members.map((m) => cluster.kill(m.index)));
      await hold();
      for (const m of cluster.members) cluster.restart(m.index);
      await cluster.waitLeader(RECOVERY_TIMEOUT_MS);
      return 'kill-all';
    }
    case 'pause': {
      const i = await target(ctx, random.chance(0.5));
      cluster.pause(i);
      await hold();
      cluster.resume(i);
      return `pause m${i + 1}`;
    }
    case 'partition': {
      const i = await target(ctx, random.chance(0.5));
      cluster.isolate([i]);
      await hold();
      cluster.heal();
      return `partition m${i + 1} from the rest`;
    }
    case 'blackhole': {
      const leader = await target(ctx, true);
      const follower = random.pick(cluster.members.map((m) => m.index).filter((i) => i !== leader));
      const [from, to] = random.chance(0.5) ? [leader, follower] : [follower, leader];
      cluster.blackhole(from, to);
      await hold();
      cluster.heal();
      return `blackhole m${from + 1} -> m${to + 1}`;
    }
    case 'slow': {
      const i = random.int(0, cluster.members.length - 1);
      const delay = random.int(...SLOW_DELAY_MS);
      cluster.slow(i, delay);
      await hold();
      cluster.heal();
      return `slow links into m${i + 1} by ${delay} ms`;
    }
    case 'compact-defrag': {
      const revision = ctx.compactableRevision();
      const member = random.int(0, ctx.clients.length - 1);
      const done: string[] = [];
      if (revision > 1) {
        try {
          await ctx.clients[member].kv.compact(
            { revision: String(revision), physical: random.chance(0.5) },
            { deadline: Date.now() + MAINTENANCE_TIMEOUT_MS },
          );
          done.push(`compact ${revision}`);
        } catch (error) {
          done.push(`compact ${revision} failed (${(error as Error).message})`);
        }
      }
      const defragMember = random.int(0, ctx.clients.length - 1);
      try {
        await ctx.clients[defragMember].maintenance.defragment({
          deadline: Date.now() + MAINTENANCE_TIMEOUT_MS,
        });
        done.push(`defragment m${defragMember + 1}`);
      } catch (error) {
        done.push(`defragment m${defragMember + 1} failed (${(error as Error).message})`);
      }
      return done.join(', ');
    }
    case 'disk-full':
      return 'disk-full (filled by the scenario)';
    case 'replace-member': {
      const i = await target(ctx, false);
      try {
        const what = await cluster.replace(i, ++replacements);
        await cluster.waitLeader(REPLACE_SETTLE_MS);
        return what;
      } catch (error) {
        return `replace m${i + 1} failed (${(error as Error).message})`;
      }
    }
  }
}

/** Injects faults (one kind, or a seeded mix) until the deadline; every fault is healed before it returns. */
export async function runFaults(
  ctx: FaultContext,
  kind: FaultKind | undefined,
  deadlineMs: number,
): Promise<string[]> {
  const done: string[] = [];
  await sleep(ctx.random.int(...FIRST_FAULT_AFTER_MS));
  while (Date.now() + HOLD_MS[1] < deadlineMs) {
    const k = kind ?? ctx.random.pick(MIXED);
    if (k === 'disk-full') break;
    const what = await injectFault(ctx, k);
    ctx.log(`fault: ${what}`);
    done.push(what);
    await sleep(ctx.random.int(...BETWEEN_MS));
  }
  return done;
}
