import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';

/*
 * The reaper makes "never leave a process behind" hold even when the test process itself is
 * killed with SIGKILL, when no exit handler of ours can run. It is a tiny detached Node process
 * that reads process-group ids on a pipe from us; when the pipe closes (we exited, however we
 * exited) it SIGKILLs every group still registered.
 */
const REAPER_SOURCE = `
const groups = new Set();
let buffered = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffered += chunk;
  let newline;
  while ((newline = buffered.indexOf('\\n')) >= 0) {
    const line = buffered.slice(0, newline);
    buffered = buffered.slice(newline + 1);
    const pgid = Number(line.slice(1));
    if (!Number.isInteger(pgid) || pgid <= 1) continue;
    if (line[0] === '+') groups.add(pgid); else groups.delete(pgid);
  }
});
const reap = () => {
  for (const pgid of groups) { try { process.kill(-pgid, 'SIGKILL'); } catch {} }
  process.exit(0);
};
process.stdin.on('end', reap);
process.stdin.on('close', reap);
process.stdin.on('error', reap);
`;

let reaper: ChildProcess | undefined;
const liveGroups = new Set<number>();

function ensureReaper(): ChildProcess {
  if (reaper && reaper.exitCode === null && reaper.stdin?.writable) return reaper;
  reaper = spawn(process.execPath, ['-e', REAPER_SOURCE], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  // The reaper must never keep the test process alive.
  reaper.unref();
  (reaper.stdin as unknown as Socket).unref();
  reaper.stdin?.on('error', () => undefined);
  for (const pgid of liveGroups) reaper.stdin?.write(`+${pgid}\n`);
  return reaper;
}

/** Registers a process group that must die with this process. */
export function registerGroup(pgid: number): void {
  liveGroups.add(pgid);
  ensureReaper().stdin?.write(`+${pgid}\n`);
}

/** Forgets a process group that has exited. */
export function unregisterGroup(pgid: number): void {
  liveGroups.delete(pgid);
  if (reaper && reaper.exitCode === null) reaper.stdin?.write(`-${pgid}\n`);
}

/** Groups still registered (for tests and diagnostics). */
export function registeredGroups(): number[] {
  return [...liveGroups];
}

// A normal exit (or an uncaught exception) kills the groups at once, without waiting for the
// reaper to notice the closed pipe.
process.once('exit', () => {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});
