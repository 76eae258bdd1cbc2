import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerGroup, unregisterGroup } from './reaper';
import { waitFor } from '../wait';

/** How much of a process's output is kept in memory for error messages. */
const LOG_TAIL_BYTES = 64 * 1024;
const DEFAULT_READY_TIMEOUT_MS = 20_000;
const DEFAULT_STOP_TIMEOUT_MS = 10_000;

export interface SpawnOptions {
  /** Short name used in logs and errors, e.g. `etcd-1`. */
  name: string;
  command: string;
  args?: string[];
  cwd?: string;
  /** Added to (and overriding) this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** Health probe, polled until it resolves true; the process counts as started only then. */
  ready?: () => Promise<boolean>;
  readyTimeoutMs?: number;
  /** Where the full output is written; defaults to a folder under the OS temp dir. */
  logDir?: string;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A real process started in its own process group (so that everything it forks is stopped
 * with it), with its output captured to a file and a bounded in-memory tail.
 */
export class ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  readonly exited: Promise<ExitStatus>;
  private exitStatus: ExitStatus | undefined;
  private tail = '';
  private readonly logStream: WriteStream;

  private constructor(
    child: ChildProcess,
    readonly options: SpawnOptions,
  ) {
    if (child.pid === undefined) throw new Error(`${options.name}: spawn failed`);
    this.name = options.name;
    this.pid = child.pid;
    const logDir = options.logDir ?? join(tmpdir(), 'skyroad-test-logs');
    mkdirSync(logDir, { recursive: true });
    this.logFile = join(logDir, `${options.name}-${this.pid}.log`);
    this.logStream = createWriteStream(this.logFile);
    const capture = (chunk: Buffer) => {
      this.logStream.write(chunk);
      this.tail = (this.tail + chunk.toString('utf8')).slice(-LOG_TAIL_BYTES);
    };
    child.stdout?.on('data', capture);
    child.stderr?.on('data', capture);
    registerGroup(this.pid);
    this.exited = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        this.exitStatus = { code, signal };
        unregisterGroup(this.pid);
        this.logStream.end();
        resolve(this.exitStatus);
      });
    });
  }

  /** Starts the process and, when `ready` is given, waits until it is healthy. */
  static async start(options: SpawnOptions): Promise<ManagedProcess> {
    const child = spawn(options.command, options.args ?? [], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const spawnError = await new Promise<Error | undefined>((resolve) => {
      child.once('spawn', () => resolve(undefined));
      child.once('error', resolve);
    });
    if (spawnError)
      throw new Error(`${options.name}: cannot start ${options.command}: ${spawnError.message}`);
    const managed = new ManagedProcess(child, options);
    if (options.ready) {
      try {
        await managed.waitUntil(options.ready, options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS, 'ready');
      } catch (error) {
        await managed.kill('SIGKILL');
        throw new Error(
          `${(error as Error).message}\n--- last output of ${options.name} ---\n${managed.logTail()}`,
        );
      }
    }
    return managed;
  }

  get running(): boolean {
    return this.exitStatus === undefined;
  }

  get exitCode(): number | null | undefined {
    return this.exitStatus?.code;
  }

  /** The last output of the process (stdout and stderr interleaved). */
  logTail(maxBytes = LOG_TAIL_BYTES): string {
    return this.tail.slice(-maxBytes);
  }

  /** Polls `probe` until true; fails at once if the process exits meanwhile. */
  async waitUntil(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
    await waitFor(async () => (await probe()) || undefined, {
      timeoutMs,
      what: `${this.name} ${what}`,
      abortIf: () =>
        this.exitStatus
          ? `process exited (code ${this.exitStatus.code}, signal ${this.exitStatus.signal})`
          : undefined,
    });
  }

  /** Sends a signal to the whole process group. */
  signal(signal: NodeJS.Signals): void {
    if (!this.running) return;
    try {
      process.kill(-this.pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }

  /** Sends `signal` (SIGKILL by default) to the group and waits for the process to exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<ExitStatus> {
    this.signal(signal);
    return this.exited;
  }

  /** SIGTERM, then SIGKILL if the process has not exited within `timeoutMs`. */
  async stop(timeoutMs = DEFAULT_STOP_TIMEOUT_MS): Promise<ExitStatus> {
    if (!this.running) return this.exited;
    this.signal('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const outcome = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') return this.kill('SIGKILL');
    // The leader may be gone while a child it forked lingers: make sure the group is empty.
    this.killGroupQuietly();
    return outcome;
  }

  /** SIGSTOP: the process stays alive but does nothing (a paused VM, a long GC). */
  pause(): void {
    this.signal('SIGSTOP');
  }

  /** SIGCONT after `pause()`. */
  resume(): void {
    this.signal('SIGCONT');
  }

  private killGroupQuietly(): void {
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // the group is already empty
    }
  }
}
