import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagedProcess, type SpawnOptions } from './managed-process';

declare const afterAll: ((fn: () => Promise<void>, timeout?: number) => void) | undefined;

interface FailureRecordingGlobal {
  __skyroadFailures?: string[];
}

const STOP_ALL_TIMEOUT_MS = 60_000;
const LOG_TAIL_ON_FAILURE_BYTES = 8 * 1024;

/**
 * The processes and temp dirs one test file (or one scenario) owns. `stopAll()` stops every
 * process still running and removes the temp dirs; when a test in the file failed, it first
 * prints the tail of every process's output, which is usually what explains the failure.
 */
export class ProcessSet {
  private readonly processes: ManagedProcess[] = [];
  private readonly tempDirs: string[] = [];

  async spawn(options: SpawnOptions): Promise<ManagedProcess> {
    const managed = await ManagedProcess.start(options);
    this.processes.push(managed);
    return managed;
  }

  /** A fresh directory under the OS temp dir, removed by `stopAll()`. */
  tempDir(prefix = 'skyroad-'): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.tempDirs.push(dir);
    return dir;
  }

  get all(): readonly ManagedProcess[] {
    return this.processes;
  }

  /** Output of every process, each under its name, for error messages. */
  describeLogs(maxBytesEach = LOG_TAIL_ON_FAILURE_BYTES): string {
    return this.processes
      .map((p) => `--- ${p.name} (pid ${p.pid}, log ${p.logFile}) ---\n${p.logTail(maxBytesEach)}`)
      .join('\n');
  }

  async stopAll(): Promise<void> {
    const failures = (globalThis as FailureRecordingGlobal).__skyroadFailures ?? [];
    if (failures.length > 0 && this.processes.length > 0) {
      process.stderr.write(`\nfailed: ${failures.join('; ')}\n${this.describeLogs()}\n`);
    }
    await Promise.all(this.processes.map((p) => p.stop()));
    this.processes.length = 0;
    for (const dir of this.tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A ProcessSet whose `stopAll()` runs in the calling test file's `afterAll`, so a failing or
 * timed-out test cannot leave a process behind.
 */
export function useProcessSet(): ProcessSet {
  const set = new ProcessSet();
  if (typeof afterAll !== 'function') throw new Error('useProcessSet() must be called in a jest test file');
  afterAll(() => set.stopAll(), STOP_ALL_TIMEOUT_MS);
  return set;
}
