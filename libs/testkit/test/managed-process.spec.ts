import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  freePort,
  httpOk,
  ManagedProcess,
  ProcessSet,
  registeredGroups,
  tcpReachable,
  waitFor,
} from '../src';

/** A real HTTP server in a child process that also forks a grandchild (to test group kills). */
const SERVER_SOURCE = `
const http = require('node:http');
const { spawn } = require('node:child_process');
const grandchild = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
console.log('grandchild ' + grandchild.pid);
const port = Number(process.argv[1]);
const server = http.createServer((req, res) => res.end('ok'));
server.listen(port, '127.0.0.1', () => console.log('listening on ' + port));
process.on('SIGTERM', () => { console.log('terminating'); server.close(() => process.exit(0)); });
`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function grandchildPid(p: ManagedProcess): number {
  const match = /grandchild (\d+)/.exec(p.logTail());
  if (!match) throw new Error(`no grandchild pid in output: ${p.logTail()}`);
  return Number(match[1]);
}

describe('ManagedProcess', () => {
  const set = new ProcessSet();
  afterAll(() => set.stopAll());

  async function startServer(): Promise<{ proc: ManagedProcess; port: number }> {
    const port = await freePort();
    const proc = await set.spawn({
      name: 'http-server',
      command: process.execPath,
      args: ['-e', SERVER_SOURCE, String(port)],
      ready: () => httpOk(`http://127.0.0.1:${port}/`),
    });
    return { proc, port };
  }

  it('starts a process, waits until healthy and stops it politely with its whole group', async () => {
    const { proc, port } = await startServer();
    expect(proc.running).toBe(true);
    expect(registeredGroups()).toContain(proc.pid);
    const grandchild = await waitFor(() =>
      /grandchild \d+/.test(proc.logTail()) ? grandchildPid(proc) : undefined,
    );
    expect(alive(grandchild)).toBe(true);

    const status = await proc.stop();
    expect(status).toEqual({ code: 0, signal: null });
    expect(proc.logTail()).toContain('terminating');
    expect(await tcpReachable(port)).toBe(false);
    await waitFor(() => !alive(grandchild), { what: 'grandchild to die', timeoutMs: 5_000 });
    expect(registeredGroups()).not.toContain(proc.pid);
    expect(readFileSync(proc.logFile, 'utf8')).toContain(`listening on ${port}`);
  });

  it('kills with SIGKILL, and pauses and resumes with SIGSTOP/SIGCONT', async () => {
    const { proc, port } = await startServer();
    proc.pause();
    expect(await httpOk(`http://127.0.0.1:${port}/`, 300)).toBe(false);
    proc.resume();
    await waitFor(() => httpOk(`http://127.0.0.1:${port}/`), { what: 'resumed server' });
    const status = await proc.kill();
    expect(status.signal).toBe('SIGKILL');
    expect(proc.running).toBe(false);
  });

  it('fails fast with the output when a process exits before it is ready', async () => {
    const start = ManagedProcess.start({
      name: 'crasher',
      command: process.execPath,
      args: ['-e', 'console.error("bad flag --nope"); process.exit(3)'],
      ready: async () => false,
      readyTimeoutMs: 10_000,
    });
    await expect(start).rejects.toThrow(/process exited \(code 3[\s\S]*bad flag --nope/);
  });

  it('reports a command that does not exist', async () => {
    await expect(ManagedProcess.start({ name: 'ghost', command: '/nonexistent/binary' })).rejects.toThrow(
      /cannot start \/nonexistent\/binary/,
    );
  });

  it('leaves no process behind when the test process itself is killed with SIGKILL', async () => {
    // A separate Node process uses the testkit to start a server, prints its pid, and is then
    // killed with SIGKILL: no exit handler of its own can run, so only the reaper can clean up.
    const port = await freePort();
    const modulePath = require.resolve('../src/process/managed-process');
    const child = await set.spawn({
      name: 'owner',
      command: process.execPath,
      args: [
        '-r',
        join(__dirname, 'support/register-ts.js'),
        '-e',
        `require(${JSON.stringify(modulePath)}).ManagedProcess.start({
          name: 'orphan-candidate', command: process.execPath,
          args: ['-e', ${JSON.stringify(SERVER_SOURCE)}, '${port}'],
        }).then((p) => console.log('server ' + p.pid)); setInterval(() => {}, 1000);`,
      ],
      ready: () => tcpReachable(port),
    });
    const serverPid = await waitFor(() => {
      const m = /server (\d+)/.exec(child.logTail());
      return m ? Number(m[1]) : undefined;
    });
    expect(alive(serverPid)).toBe(true);
    await child.kill('SIGKILL');
    await waitFor(() => !alive(serverPid), { what: 'orphaned server to be reaped', timeoutMs: 5_000 });
    expect(await tcpReachable(port)).toBe(false);
    expect(existsSync(child.logFile)).toBe(true);
    // Nothing of ours is left: pgrep finds no process in the server's group.
    expect(() => execFileSync('pgrep', ['-g', String(serverPid)])).toThrow();
  });
});
