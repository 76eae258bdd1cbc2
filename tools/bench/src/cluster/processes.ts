import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const STOP_GRACE_MS = 5_000;
/** Lines of a process's output kept for the error message when it fails to start. */
const LOG_TAIL_LINES = 40;

export interface ProcessSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

/**
 * A benchmark's child process (etcd, skyroad-store, the registry), in its own process group
 * so that stopping it stops everything it started, and so that it is killed when the
 * benchmark exits for any reason.
 */
export class BenchProcess {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly tail: string[] = [];
  private done = false;

  constructor(
    readonly spec: ProcessSpec,
    readonly child: ChildProcess,
  ) {
    for (const stream of [child.stdout, child.stderr]) {
      stream?.on('data', (d: Buffer) => {
        for (const line of d.toString().split('\n')) if (line) this.tail.push(line);
        if (this.tail.length > LOG_TAIL_LINES) this.tail.splice(0, this.tail.length - LOG_TAIL_LINES);
      });
    }
    this.exited = new Promise((resolve) => {
      child.once('error', (error) => {
        this.tail.push(`cannot start ${spec.command}: ${error.message}`);
        this.done = true;
        resolve({ code: null, signal: null });
      });
      child.once('exit', (code, signal) => {
        this.done = true;
        resolve({ code, signal });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.done;
  }

  /** The last lines it printed. */
  logTail(): string {
    return this.tail.join('\n');
  }

  kill(signal: NodeJS.Signals): void {
    if (this.done || this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // already gone
    }
  }

  /** SIGTERM, then SIGKILL after a grace period. */
  async stop(): Promise<void> {
    if (this.done) return;
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }
}

const live = new Set<BenchProcess>();
const tempDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort: whatever is still running when the benchmark exits is killed.
  process.once('exit', () => {
    for (const p of live) p.kill('SIGKILL');
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void stopAllProcesses().finally(() => process.exit(130));
    });
  }
}

export function startProcess(spec: ProcessSpec): BenchProcess {
  installExitHook();
  const child = spawn(spec.command, [...spec.args], {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const p = new BenchProcess(spec, child);
  live.add(p);
  void p.exited.then(() => live.delete(p));
  return p;
}

/** A temporary directory removed when the benchmark ends. */
export function tempDir(prefix: string): string {
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), `skyroad-bench-${prefix}`));
  tempDirs.add(dir);
  return dir;
}

/** Stops every process started by this benchmark (newest first) and removes temp dirs. */
export async function stopAllProcesses(): Promise<void> {
  for (const p of [...live].reverse()) await p.stop();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}
