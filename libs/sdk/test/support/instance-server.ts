import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Behaviour = 'ok' | 'fail' | 'hang' | 'reset';

/**
 * A real HTTP server standing in for one instance of a service: it answers with its name,
 * records every request's headers, and can be switched to answer 500, never answer, or drop
 * the connection.
 */
export class InstanceServer {
  behaviour: Behaviour = 'ok';
  readonly requests: Array<{ method: string; url: string; headers: IncomingHttpHeaders; body: string }> = [];
  private readonly hanging = new Set<ServerResponse>();
  private constructor(
    readonly name: string,
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(name: string): Promise<InstanceServer> {
    const holder: { self?: InstanceServer } = {};
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const me = holder.self!;
        me.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        switch (me.behaviour) {
          case 'ok':
            res.writeHead(200, { 'content-type': 'text/plain' }).end(me.name);
            break;
          case 'fail':
            res.writeHead(500).end(`${me.name} failed`);
            break;
          case 'hang':
            me.hanging.add(res);
            break;
          case 'reset':
            req.socket.destroy();
            break;
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    holder.self = new InstanceServer(name, server, (server.address() as AddressInfo).port);
    return holder.self;
  }

  /** Answers the requests left hanging. */
  release(): void {
    for (const res of this.hanging) res.writeHead(200).end(this.name);
    this.hanging.clear();
  }

  async close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
