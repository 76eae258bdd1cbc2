import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { ProcessSpec } from './topology';

const HEALTH_TIMEOUT_MS = 60_000;
const HEALTH_POLL_INTERVAL_MS = 200;
const HEALTH_REQUEST_TIMEOUT_MS = 1_000;
const STOP_TIMEOUT_MS = 10_000;
const NAME_COLUMN_WIDTH = 12;
const COLORS = [36, 33, 35, 32, 34, 91, 92, 93, 94, 95, 96];

interface Running {
  spec: ProcessSpec;
  child: ChildProcess;
  exited: Promise<void>;
  done: boolean;
}

export interface SupervisorOutput {
  line(text: string): void;
}

/**
 * Starts the platform's processes stage by stage, prefixes every line they print with their
 * name, and stops them all (newest first) on request or when one of them dies.
 */
export class Supervisor {
  private readonly running: Running[] = [];
  private stopping = false;
  private readonly color = process.stdout.isTTY && !process.env['NO_COLOR'];
  /** Set when a process exits on its own; the launcher then stops everything. */
  onUnexpectedExit: (name: string, code: number | null, signal: NodeJS.Signals | null) => void = () =>
    undefined;

  constructor(private readonly out: SupervisorOutput) {}

  async startAll(specs: ProcessSpec[]): Promise<void> {
    const stages = [...new Set(specs.map((s) => s.stage))].sort((a, b) => a - b);
    for (const stage of stages) {
      const group = specs.filter((s) => s.stage === stage);
      this.out.line(`starting ${group.map((s) => s.name).join(', ')} ...`);
      for (const spec of group) this.start(spec);
      await Promise.all(group.map((spec) => this.waitHealthy(spec)));
      if (this.stopping) throw new Error('stopped while starting');
    }
  }

  private start(spec: ProcessSpec): void {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      // Own process group: Ctrl-C in the terminal reaches only the launcher, which then stops
      // the children in order instead of all at once.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const prefix = this.prefix(spec.name, this.running.length);
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => this.out.line(`${prefix} ${line}`));
    }
    const entry: Running = { spec, child, done: false, exited: Promise.resolve() };
    entry.exited = new Promise((resolve) => {
      child.once('error', (error) => {
        this.out.line(`${prefix} cannot start ${spec.command}: ${error.message}`);
        entry.done = true;
        resolve();
        if (!this.stopping) this.onUnexpectedExit(spec.name, null, null);
      });
      child.once('exit', (code, signal) => {
        entry.done = true;
        resolve();
        if (!this.stopping) this.onUnexpectedExit(spec.name, code, signal);
      });
    });
    this.running.push(entry);
  }

  private async waitHealthy(spec: ProcessSpec): Promise<void> {
    const deadline = Date.now() + HEALTH_TIMEOUT_MS;
    const entry = this.running.find((r) => r.spec === spec);
    while (Date.now() < deadline) {
      if (this.stopping || entry?.done) throw new Error(`${spec.name} exited before it was healthy`);
      try {
        const response = await fetch(spec.healthUrl, {
          signal: AbortSignal.timeout(HEALTH_REQUEST_TIMEOUT_MS),
        });
        await response.arrayBuffer();
        if (response.ok) {
          this.out.line(`${spec.name} is up`);
          return;
        }
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, HEALTH_POLL_INTERVAL_MS));
    }
    throw new Error(`${spec.name} not healthy within ${HEALTH_TIMEOUT_MS / 1000} s (${spec.healthUrl})`);
  }

  /** SIGTERM to each process group, newest first; SIGKILL what is still there after a grace period. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    for (const entry of [...this.running].reverse()) {
      if (entry.done) continue;
      this.signalGroup(entry, 'SIGTERM');
      const timedOut = await Promise.race([
        entry.exited.then(() => false),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(true), STOP_TIMEOUT_MS).unref()),
      ]);
      if (timedOut) {
        this.out.line(`${entry.spec.name} did not stop within ${STOP_TIMEOUT_MS / 1000} s: SIGKILL`);
        this.signalGroup(entry, 'SIGKILL');
        await entry.exited;
      }
      // Anything the process forked goes with it.
      this.signalGroup(entry, 'SIGKILL');
    }
  }

  /** Last resort on the launcher's own exit: no child outlives it. */
  killAllNow(): void {
    for (const entry of this.running) this.signalGroup(entry, 'SIGKILL');
  }

  private signalGroup(entry: Running, signal: NodeJS.Signals): void {
    if (entry.child.pid === undefined) return;
    try {
      process.kill(-entry.child.pid, signal);
    } catch {
      // the group is already gone
    }
  }

  private prefix(name: string, index: number): string {
    const label = name.padEnd(NAME_COLUMN_WIDTH);
    return this.color ? `\x1b[${COLORS[index % COLORS.length]}m${label}|\x1b[0m` : `${label}|`;
  }
}
