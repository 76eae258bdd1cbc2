/*
 * CPU placement for a measurement that is about one server alone: the server gets one core to
 * itself and every other process of the run (the load generator, the store members) is kept off
 * it, as when the server has its own machine. Uses taskset (util-linux) on every thread of each
 * process; each process gets its own affinity back afterwards.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface Placement {
  /** The core the server had to itself, or null when it could not be isolated (and why). */
  readonly dedicatedCore: number | null;
  readonly reason?: string;
}

/** The CPUs a process may run on ("0-3,6" as the kernel lists them), or null if unknown. */
export function allowedCpus(pid: number): string | null {
  try {
    return /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}

/** "0-2,5" → [0, 1, 2, 5]. */
export function parseCpuList(list: string): number[] {
  return list.split(',').flatMap((part) => {
    const [from, to = from] = part.split('-').map(Number);
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  });
}

function setAffinity(pid: number, cpus: string): string | null {
  const r = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { encoding: 'utf8', timeout: 5_000 });
  if (r.error) return `taskset: ${r.error.message}`;
  if (r.status !== 0) return `taskset -p ${pid}: ${(r.stderr || r.stdout).trim()}`;
  return null;
}

/**
 * Runs `measure` with `server` on the last of this process's CPUs, alone, and `others` (the
 * caller includes itself when it generates the load) on the rest; without isolation, saying
 * why, when there is one CPU or taskset fails. Every process gets its earlier affinity back
 * afterwards, also when `measure` throws.
 */
export async function withDedicatedCore<T>(
  server: number | undefined,
  others: ReadonlyArray<number | undefined>,
  measure: () => Promise<T>,
): Promise<{ result: T; placement: Placement }> {
  const cpus = parseCpuList(allowedCpus(process.pid) ?? '0');
  if (cpus.length < 2 || server === undefined)
    return { result: await measure(), placement: { dedicatedCore: null, reason: 'one CPU only' } };
  const pids = [server, ...others].filter((p): p is number => p !== undefined);
  const before = new Map(pids.map((pid) => [pid, allowedCpus(pid)]));
  const dedicated = cpus[cpus.length - 1];
  let failure = setAffinity(server, String(dedicated));
  for (const pid of pids.slice(1)) failure ??= setAffinity(pid, cpus.slice(0, -1).join(','));
  try {
    const result = await measure();
    return {
      result,
      placement: failure ? { dedicatedCore: null, reason: failure } : { dedicatedCore: dedicated },
    };
  } finally {
    for (const [pid, list] of before) if (list) setAffinity(pid, list);
  }
}
