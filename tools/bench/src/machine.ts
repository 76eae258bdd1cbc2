import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem, type as osType } from 'node:os';
import type { MachineDescription } from './result';

/** The etcd binary the suites run as the competitor (and under the registry). */
export function etcdBinary(): string {
  return process.env['SKYROAD_BENCH_ETCD_BIN'] ?? 'etcd';
}

export function etcdctlBinary(): string {
  return process.env['SKYROAD_BENCH_ETCDCTL_BIN'] ?? 'etcdctl';
}

/** "3.4.23", or null when the binary is not there. */
export function etcdVersion(): string | null {
  try {
    const out = execFileSync(etcdBinary(), ['--version'], { encoding: 'utf8', timeout: 5_000 });
    return /etcd Version:\s*(\S+)/.exec(out)?.[1] ?? out.split('\n')[0].trim();
  } catch {
    return null;
  }
}

export function describeMachine(): MachineDescription {
  const cpu = cpus();
  return {
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryBytes: totalmem(),
    os: `${osType()} ${release()}`,
    node: process.version,
    etcd: etcdVersion(),
    loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}
