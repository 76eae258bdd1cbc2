import { readFileSync } from 'node:fs';
import { Etcd3 } from 'etcd3';
import type { StoreMember } from './store-cluster';

/** Resident set size of a member's process in bytes (Linux /proc), or null when unknown. */
export function rssBytes(member: StoreMember): number | null {
  return member.process.running ? processRssBytes(member.process.pid ?? null) : null;
}

/** Resident set size of a process in bytes (Linux /proc), or null when unknown. */
export function processRssBytes(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? null : Number(kb) * 1024;
  } catch {
    return null;
  }
}

/** Linux clock ticks per second (USER_HZ), the unit of utime/stime in /proc/<pid>/stat. */
const CLOCK_TICKS_PER_S = 100;

/** CPU time (user + system) a process has used so far, in ms; null when unknown. */
export function cpuTimeMs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return null;
  }
}

/** Sums cpuTimeMs over processes; null when any is unknown. */
export function totalCpuTimeMs(pids: ReadonlyArray<number | undefined>): number | null {
  let total = 0;
  for (const pid of pids) {
    const t = cpuTimeMs(pid);
    if (t === null) return null;
    total += t;
  }
  return total;
}

const STATUS_TIMEOUT_MS = 500;

/** What one member says of itself: its id and the leader it believes in ("0" for none). */
export async function memberStatus(member: StoreMember): Promise<{ id: string; leader: string } | null> {
  const client = new Etcd3({ hosts: [member.clientUrl], dialTimeout: STATUS_TIMEOUT_MS });
  try {
    const status = await client.maintenance.status({ deadline: new Date(Date.now() + STATUS_TIMEOUT_MS) });
    return { id: String(status.header.member_id), leader: String(status.leader) };
  } catch {
    return null;
  } finally {
    client.close();
  }
}

/** The index of the member every answering member agrees is the leader, or -1. */
export async function leaderIndex(members: readonly StoreMember[]): Promise<number> {
  const statuses = await Promise.all(members.map((m) => (m.process.running ? memberStatus(m) : null)));
  return statuses.findIndex((s) => s !== null && s.leader !== '0' && s.id === s.leader);
}
