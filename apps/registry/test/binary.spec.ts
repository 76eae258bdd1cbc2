import { freePorts, httpOk, startOtlpReceiver, useProcessSet, waitFor } from '@skyroad/testkit';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { call } from './support/http';
import { SseClient } from './support/sse';
import { startTestStore } from './support/store';

// The built binary, as `npx skyroad-registry` runs it (Nx builds it before these tests).
const BIN = join(__dirname, '..', 'bin', 'skyroad-registry.js');
const CLI_TIMEOUT_MS = 20_000;

function run(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, ...env }, timeout: CLI_TIMEOUT_MS },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

describe('the skyroad-registry binary', () => {
  const processes = useProcessSet();

  beforeAll(() => {
    if (!existsSync(join(__dirname, '..', 'dist', 'main.js'))) {
      throw new Error('apps/registry is not built: run `npx nx run registry:build` (nx test does it first)');
    }
  });

  it('prints its flags with --help and exits 0', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    for (const flag of [
      '--port',
      '--host',
      '--store-endpoints',
      '--standby-store-endpoints',
      '--redis-url',
      '--redis-key-prefix',
      '--failover-after-ms',
      '--database-url',
    ]) {
      expect(result.stdout).toContain(flag);
    }
    expect(result.stdout).toContain('SKYROAD_STORE_ENDPOINTS');
  });

  it('refuses bad flags and values with a clear message and exit code 2', async () => {
    const unknown = await run(['--prot', '7070']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--prot/);
    const values = await run([
      '--port',
      'seventy',
      '--store-endpoints',
      'localhost',
      '--redis-url',
      'http://x',
    ]);
    expect(values.code).toBe(2);
    expect(values.stderr).toMatch(/--port: "seventy"/);
    expect(values.stderr).toMatch(/--store-endpoints: "localhost"/);
    expect(values.stderr).toMatch(/--redis-url/);
    const fromEnv = await run([], { SKYROAD_DATABASE_URL: 'mysql://nope' });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toMatch(/--database-url/);
  });

  it('serves with flags and environment variables, and stops cleanly on SIGTERM, ending watch streams', async () => {
    const { endpoints } = await startTestStore(processes, 'regbin');
    const [port, standbyPort] = await freePorts(2);
    const url = `http://127.0.0.1:${port}`;
    const registry = await processes.spawn({
      name: 'registry',
      command: process.execPath,
      args: [
        BIN,
        '--port',
        String(port),
        '--store-endpoints',
        endpoints.join(','),
        // A standby that does not answer: the mirror waits for it, failover never picks it.
        '--standby-store-endpoints',
        `http://127.0.0.1:${standbyPort}`,
      ],
      env: {
        SKYROAD_DATABASE_URL: `sqlite:${join(processes.tempDir('regbin-db-'), 'registry.sqlite')}`,
        SKYROAD_REDIS_URL: 'redis://127.0.0.1:6379',
        SKYROAD_LOG_LEVEL: 'info',
      },
      ready: () => httpOk(`${url}/ready`),
    });
    const ready = await call('GET', `${url}/ready`);
    expect(ready.body).toMatchObject({
      ready: true,
      serving: 'primary',
      standby: { configured: true, endpoints: [`http://127.0.0.1:${standbyPort}`], failover: 'on' },
      cache: { l2: { configured: true } },
    });
    const svc = `${url}/v1/namespaces/default/services/bin`;
    expect((await call('POST', `${svc}/instances`, { host: '127.0.0.1', port: 1 })).status).toBe(201);
    // Logs are pino JSON lines with request ids.
    await waitFor(
      () => registry.logTail().includes('"url":"/v1/namespaces/default/services/bin/instances"'),
      {
        what: 'the request log line',
      },
    );
    const logLine = registry
      .logTail()
      .split('\n')
      .find((line) => line.includes('"url":"/v1/namespaces/default/services/bin/instances"'))!;
    expect(JSON.parse(logLine).req.id).toMatch(/^[0-9a-f-]{36}$/);
    // Routine successes (discovery GETs, heartbeats) are not logged at info; failures are.
    expect((await call('GET', `${svc}/instances`)).status).toBe(200);
    const missing = `${url}/v1/namespaces/nowhere/services/bin/instances`;
    expect((await call('GET', missing)).status).toBe(404);
    await waitFor(
      () => registry.logTail().includes('"url":"/v1/namespaces/nowhere/services/bin/instances"'),
      {
        what: 'the failed discovery GET log line',
      },
    );
    const getLines = registry
      .logTail()
      .split('\n')
      .filter((line) => line.includes('"method":"GET"') && line.includes('/services/bin/instances'));
    expect(getLines.map((line) => JSON.parse(line).req.url)).toEqual([
      '/v1/namespaces/nowhere/services/bin/instances',
    ]);

    const watch = await SseClient.open(`${svc}/watch`);
    await watch.waitForEvents(1);
    await registry.kill('SIGTERM');
    const exit = await registry.exited;
    expect(exit.code).toBe(0);
    await waitFor(() => watch.closedByServer, { what: 'the watch stream to end' });
    expect(registry.logTail()).toContain('"msg":"stopped"');
  });

  it('traces discovery GETs and heartbeats when traces are exported (OTLP), as every other request', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const { endpoints } = await startTestStore(processes, 'regbin-otlp');
      const [port] = await freePorts(1);
      const url = `http://127.0.0.1:${port}`;
      await processes.spawn({
        name: 'registry',
        command: process.execPath,
        args: [BIN, '--port', String(port), '--store-endpoints', endpoints.join(',')],
        env: {
          SKYROAD_DATABASE_URL: `sqlite:${join(processes.tempDir('regbin-otlp-db-'), 'registry.sqlite')}`,
          SKYROAD_LOG_LEVEL: 'info',
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_BSP_SCHEDULE_DELAY: '100',
        },
        ready: () => httpOk(`${url}/ready`),
      });
      const svc = `${url}/v1/namespaces/default/services/traced`;
      const registered = await call('POST', `${svc}/instances`, { id: 'i1', host: '127.0.0.1', port: 1 });
      expect(registered.status).toBe(201);
      expect((await call('GET', `${svc}/instances`)).status).toBe(200);
      expect((await call('PUT', `${svc}/instances/i1/heartbeat`)).status).toBe(200);
      const SPAN_KIND_SERVER = 2;
      const serverSpanOf = (path: string) =>
        receiver
          .spans()
          .find(
            (s) =>
              s.kind === SPAN_KIND_SERVER &&
              (s.attributes['http.target'] === path || s.attributes['url.path'] === path),
          );
      await waitFor(
        () =>
          serverSpanOf('/v1/namespaces/default/services/traced/instances') &&
          serverSpanOf('/v1/namespaces/default/services/traced/instances/i1/heartbeat'),
        { what: 'server spans of the discovery GET and the heartbeat', timeoutMs: 10_000 },
      );
    } finally {
      await receiver.close();
    }
  });
});
