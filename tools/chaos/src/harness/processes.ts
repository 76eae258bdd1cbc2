import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

/*
 * The harness's own process handling (the testkit is for tests only): each member runs in its
 * own process group, so SIGKILL/SIGSTOP/SIGCONT reach the whole member, and every group still
 * alive is killed when the harness exits, however it exits.
 */

const liveGroups = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = (): void => {
    for (const pgid of liveGroups) {
      try {
        process.kill(-pgid, 'SIGCONT');
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
}

const STOP_GRACE_MS = 3_000;

export class MemberProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private paused = false;
  private expectingExit = false;
  /** Exits the harness did not cause (crashes), with the log tail at that moment. */
  readonly crashes: Array<{ code: number | null; signal: NodeJS.Signals | null; logTail: string }> = [];

  constructor(
    readonly name: string,
    private readonly command: string,
    private readonly args: readonly string[],
    readonly logFile: string,
  ) {}

  get running(): boolean {
    return this.child !== undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    if (this.child) throw new Error(`${this.name} is already running`);
    installExitHook();
    const out = openSync(this.logFile, 'a');
    const child = spawn(this.command, this.args, { detached: true, stdio: ['ignore', out, out] });
    closeSync(out);
    this.child = child;
    this.paused = false;
    this.expectingExit = false;
    const pid = child.pid!;
    liveGroups.add(pid);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        liveGroups.delete(pid);
        if (!this.expectingExit) this.crashes.push({ code, signal, logTail: this.logTail(3000) });
        if (this.child === child) this.child = undefined;
        resolve();
      });
    });
  }

  private signal(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // exited meanwhile
    }
  }

  async kill(): Promise<void> {
    this.expectingExit = true;
    if (this.paused) this.signal('SIGCONT');
    this.paused = false;
    this.signal('SIGKILL');
    await this.exited;
  }

  pause(): void {
    this.signal('SIGSTOP');
    this.paused = true;
  }

  resume(): void {
    this.signal('SIGCONT');
    this.paused = false;
  }

  async stop(): Promise<void> {
    if (!this.child) return;
    this.expectingExit = true;
    if (this.paused) this.resume();
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }

  logTail(bytes = 4096): string {
    try {
      const text = readFileSync(this.logFile, 'utf8');
      return text.slice(-bytes);
    } catch {
      return '';
    }
  }
}
