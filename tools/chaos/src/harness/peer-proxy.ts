import { readdir, readFile, readlink } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';

/*
 * A TCP proxy in front of each member's peer port. Members advertise the proxy's address, so
 * every peer connection into member `to` passes through it. The proxy learns which member
 * dialed by finding the client socket's inode in /proc/net/tcp and then the member process
 * whose file descriptors hold it (loopback only, Linux only). Per link (dialer -> listener)
 * the harness can blackhole the connection (bytes are silently dropped both ways, as a lost
 * network would) or delay it. Healing a blackholed link closes the connections that lost
 * bytes, so the members redial and resynchronise their framing.
 *
 * skyroad-store sends member A's Raft messages to B only on connections A dialed, so blocking
 * A -> B is a true one-way blackhole. etcd's rafthttp carries messages both ways on streams
 * either side dialed, so one-way faults are approximate there; partitions are exact on both.
 */

export interface LinkRules {
  blocked(from: number, to: number): boolean;
  delayMs(from: number, to: number): number;
}

interface Proxied {
  from: number | undefined;
  client: Socket;
  upstream: Socket;
  dropped: boolean;
}

const UNKNOWN_SOURCE = -1;

export class PeerProxy {
  private server: Server | undefined;
  private readonly connections = new Set<Proxied>();

  constructor(
    readonly to: number,
    readonly listenPort: number,
    private readonly targetPort: number,
    private readonly rules: LinkRules,
    private readonly memberPids: () => Array<number | undefined>,
  ) {}

  async start(): Promise<void> {
    const server = createServer((client) => void this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.listenPort, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  private blocked(from: number | undefined): boolean {
    if (from !== undefined && from !== UNKNOWN_SOURCE) return this.rules.blocked(from, this.to);
    // Unknown dialer: blocked only when every link into this member is.
    const pids = this.memberPids();
    return pids.every((_, i) => i === this.to || this.rules.blocked(i, this.to));
  }

  private async accept(client: Socket): Promise<void> {
    client.pause();
    client.on('error', () => undefined);
    const from = await identifyDialer(client.remotePort ?? 0, this.listenPort, this.memberPids()).catch(
      () => undefined,
    );
    const upstream = connect({ host: '127.0.0.1', port: this.targetPort });
    upstream.on('error', () => undefined);
    const entry: Proxied = { from, client, upstream, dropped: false };
    this.connections.add(entry);
    const close = (): void => {
      this.connections.delete(entry);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', close);
    upstream.on('close', close);
    let releaseAtMs = 0;
    const forward = (source: Socket, sink: Socket): void => {
      source.on('data', (chunk: Buffer) => {
        if (this.blocked(entry.from)) {
          entry.dropped = true;
          return;
        }
        const delay = this.rules.delayMs(entry.from ?? UNKNOWN_SOURCE, this.to);
        if (delay <= 0 && releaseAtMs <= Date.now()) {
          sink.write(chunk);
          return;
        }
        // Keep order: a chunk never overtakes one delayed before it.
        releaseAtMs = Math.max(releaseAtMs, Date.now() + delay);
        setTimeout(() => sink.destroyed || sink.write(chunk), releaseAtMs - Date.now());
      });
    };
    forward(client, upstream);
    forward(upstream, client);
    client.resume();
  }

  /** Called after the rules changed: connections that lost bytes on a healed link are closed. */
  rulesChanged(): void {
    for (const c of this.connections) {
      if (c.dropped && !this.blocked(c.from)) {
        c.client.destroy();
        c.upstream.destroy();
      }
    }
  }

  async close(): Promise<void> {
    for (const c of this.connections) {
      c.client.destroy();
      c.upstream.destroy();
    }
    this.connections.clear();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** Index of the member process that owns the loopback socket 127.0.0.1:clientPort -> 127.0.0.1:serverPort. */
export async function identifyDialer(
  clientPort: number,
  serverPort: number,
  pids: Array<number | undefined>,
): Promise<number | undefined> {
  const hex = (port: number): string => port.toString(16).toUpperCase().padStart(4, '0');
  const table = await readFile('/proc/net/tcp', 'utf8');
  const local = `0100007F:${hex(clientPort)}`;
  const remote = `0100007F:${hex(serverPort)}`;
  let inode: string | undefined;
  for (const line of table.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[1] === local && f[2] === remote) {
      inode = f[9];
      break;
    }
  }
  if (inode === undefined) return UNKNOWN_SOURCE;
  const wanted = `socket:[${inode}]`;
  for (let i = 0; i < pids.length; i++) {
    const pid = pids[i];
    if (pid === undefined) continue;
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      if (link === wanted) return i;
    }
  }
  return UNKNOWN_SOURCE;
}
