import { spawn } from 'node:child_process';
import { allowedCpus, parseCpuList, withDedicatedCore } from '../src/cluster/cpu-affinity';

const allowed = (pid: number) => allowedCpus(pid)!;

describe('withDedicatedCore', () => {
  const all = allowed(process.pid);
  const cpus = parseCpuList(all);

  it('reads CPU lists as the kernel writes them', () => {
    expect(parseCpuList('0-2,5')).toEqual([0, 1, 2, 5]);
    expect(parseCpuList('3')).toEqual([3]);
  });

  it('gives the server the last core alone, keeps the others off it, and restores both', async () => {
    const server = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
    try {
      const { result, placement } = await withDedicatedCore(server.pid, [other.pid], async () => ({
        server: allowed(server.pid!),
        other: allowed(other.pid!),
      }));
      if (cpus.length < 2) {
        expect(placement).toEqual({ dedicatedCore: null, reason: 'one CPU only' });
        expect(result.server).toBe(all);
      } else {
        const last = cpus[cpus.length - 1];
        expect(placement).toEqual({ dedicatedCore: last });
        expect(result.server).toBe(String(last));
        expect(parseCpuList(result.other)).toEqual(cpus.slice(0, -1));
      }
      expect(allowed(server.pid!)).toBe(all);
      expect(allowed(other.pid!)).toBe(all);
    } finally {
      server.kill('SIGKILL');
      other.kill('SIGKILL');
    }
  });

  it('restores every core when the measurement throws', async () => {
    const server = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
    try {
      await expect(
        withDedicatedCore(server.pid, [], async () => {
          throw new Error('measurement failed');
        }),
      ).rejects.toThrow('measurement failed');
      expect(allowed(server.pid!)).toBe(all);
    } finally {
      server.kill('SIGKILL');
    }
  });
});
