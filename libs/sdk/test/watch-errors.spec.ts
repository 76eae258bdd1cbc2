import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '@skyroad/testkit';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryUnavailableError, Skyroad, type Instance } from '../src/index';

/**
 * Error paths of the watch client that a healthy registry does not produce on demand:
 * malformed events, invalid policies, empty pushes, every instance unhealthy, cut streams.
 * A local HTTP server speaks the wire format of docs/registry-api.md; everything else is
 * tested against the real registry.
 */
class ScriptedRegistry {
  readonly watchQueries: string[] = [];
  private streams: ServerResponse[] = [];
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(
    onConnect: (r: ScriptedRegistry, res: ServerResponse) => void,
  ): Promise<ScriptedRegistry> {
    const holder: { self?: ScriptedRegistry } = {};
    const server = createServer((req, res) => {
      if (req.url === '/health') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
        return;
      }
      if (req.url?.includes('/watch')) {
        holder.self!.watchQueries.push(req.url);
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        holder.self!.streams.push(res);
        onConnect(holder.self!, res);
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    holder.self = new ScriptedRegistry(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return holder.self;
  }

  send(raw: string): void {
    for (const s of this.streams) s.write(raw);
  }

  cutStreams(): void {
    for (const s of this.streams.splice(0)) s.destroy();
  }

  async close(): Promise<void> {
    this.cutStreams();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const instance = (id: string, extra: Partial<Instance> = {}): Instance => ({
  id,
  namespace: 'default',
  service: 'svc',
  host: '127.0.0.1',
  port: 1,
  weight: 100,
  enabled: true,
  healthy: true,
  metadata: {},
  ttl: 10,
  revision: 1,
  ...extra,
});

const event = (name: string, revision: number, data: unknown) =>
  `event: ${name}\nid: ${revision}\ndata: ${JSON.stringify(data)}\n\n`;

const ids = (list: readonly Instance[]) => list.map((i) => i.id);

describe('watch error paths', () => {
  let registry: ScriptedRegistry;
  let sky: Skyroad;
  afterEach(async () => {
    await sky?.close();
    await registry?.close();
  });

  it('ignores malformed events and invalid policies, and keeps going', async () => {
    registry = await ScriptedRegistry.start((_r, res) =>
      res.write(event('snapshot', 5, { revision: 5, instances: [instance('a')], policy: null })),
    );
    const warnings: string[] = [];
    sky = await Skyroad.connect({
      registry: registry.url,
      logger: { info: () => {}, warn: (m) => warnings.push(m) },
    });
    expect(ids(await sky.discover('svc'))).toEqual(['a']);
    registry.send('event: instance\ndata: {not json\n\n');
    registry.send(event('instance', 6, { revision: 6, type: 'PATCH', instance: instance('x') }));
    registry.send(event('instance', 7, { revision: 7, type: 'PUT', instance: { id: 'no-host' } }));
    registry.send(event('policy', 8, { revision: 8, policy: { revision: 8, policy: { timeoutMs: -1 } } }));
    registry.send(event('instance', 9, { revision: 9, type: 'PUT', instance: instance('b') }));
    await waitFor(async () => (await sky.discover('svc')).length === 2, { what: 'valid event applied' });
    expect(ids(await sky.discover('svc'))).toEqual(['a', 'b']);
    expect(await sky.policy('svc')).toEqual({});
    expect(warnings).toEqual(
      expect.arrayContaining([
        'malformed watch event ignored',
        'malformed instance event ignored',
        'invalid policy ignored; keeping the last valid one',
      ]),
    );
  });

  it('does not apply an empty snapshot over known instances (push-empty protection)', async () => {
    let connections = 0;
    registry = await ScriptedRegistry.start((_r, res) => {
      connections += 1;
      const instances = connections === 1 ? [instance('a'), instance('b')] : [];
      res.write(event('snapshot', 10 + connections, { revision: 10 + connections, instances, policy: null }));
    });
    sky = await Skyroad.connect({ registry: registry.url });
    expect(ids(await sky.discover('svc'))).toEqual(['a', 'b']);
    registry.cutStreams();
    await waitFor(() => connections >= 2, { what: 'reconnect' });
    // Resumed after the last revision it saw.
    expect(registry.watchQueries[1]).toMatch(/\?revision=11$/);
    await new Promise((r) => setTimeout(r, 100));
    expect(ids(await sky.discover('svc'))).toEqual(['a', 'b']);
  });

  it('keeps the last healthy set when every instance turns unhealthy, but follows a disable', async () => {
    registry = await ScriptedRegistry.start((_r, res) =>
      res.write(
        event('snapshot', 1, { revision: 1, instances: [instance('a'), instance('b')], policy: null }),
      ),
    );
    sky = await Skyroad.connect({ registry: registry.url });
    expect(ids(await sky.discover('svc'))).toEqual(['a', 'b']);
    registry.send(
      event('instance', 2, { revision: 2, type: 'PUT', instance: instance('a', { healthy: false }) }),
    );
    await waitFor(async () => (await sky.discover('svc')).length === 1, { what: 'a unhealthy' });
    registry.send(
      event('instance', 3, { revision: 3, type: 'PUT', instance: instance('b', { healthy: false }) }),
    );
    await new Promise((r) => setTimeout(r, 100));
    expect(ids(await sky.discover('svc'))).toEqual(['b']); // the last healthy set
    registry.send(
      event('instance', 4, { revision: 4, type: 'PUT', instance: instance('a', { enabled: false }) }),
    );
    registry.send(
      event('instance', 5, { revision: 5, type: 'PUT', instance: instance('b', { enabled: false }) }),
    );
    await waitFor(async () => (await sky.discover('svc')).length === 0, { what: 'operator disabled both' });
  });

  it('reopens a stream that went silent, resuming after the last revision', async () => {
    registry = await ScriptedRegistry.start((_r, res) =>
      res.write(event('snapshot', 3, { revision: 3, instances: [instance('a')], policy: null })),
    );
    sky = await Skyroad.connect({ registry: registry.url, watchIdleTimeoutMs: 300 });
    expect(ids(await sky.discover('svc'))).toEqual(['a']);
    await waitFor(() => registry.watchQueries.length >= 2, { what: 'reconnect after silence' });
    expect(registry.watchQueries[0]).not.toContain('revision=');
    expect(registry.watchQueries[1]).toMatch(/\?revision=3$/);
  });

  it('ignores a corrupt failover file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sdk-corrupt-'));
    try {
      writeFileSync(join(dir, 'default@@svc.json'), '{"instances": [');
      registry = await ScriptedRegistry.start(() => undefined);
      await registry.close();
      sky = await Skyroad.connect({ registry: registry.url, failoverDir: dir, discoveryTimeoutMs: 1_000 });
      await expect(sky.discover('svc')).rejects.toBeInstanceOf(RegistryUnavailableError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
