import { createServer as httpServer, type Server as HttpServer } from 'node:http';
import { createServer as netServer, type Server, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { createServer as tlsServer } from 'node:tls';
import type * as grpc from '@grpc/grpc-js';
import type { TlsMaterial } from '../config/tls';
import { AuthorityRewriter } from './authority-rewriter';
import { widenConnectionWindow } from './connection-window';
import { createHookedInjector, type StreamClaim } from './grpc-stream-hook';
import { isNghttp2Client } from './nghttp2-client';

/** Every HTTP/2 connection (so every gRPC one) opens with this preface; HTTP/1.1 never does. */
const HTTP2_PREFACE_START = Buffer.from('PRI * HTTP/2.0');
/** Keep-alive for idle HTTP/1.1 gateway connections. */
export const HTTP_KEEP_ALIVE_MS = 5000;

/**
 * The client port, as etcd's cmux: one listener per --listen-client-urls entry; each
 * connection (after TLS, when configured) is sniffed, HTTP/2 goes to the gRPC server and
 * HTTP/1.1 to the JSON gateway.
 */
export class ClientPort {
  private readonly listeners: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly http: HttpServer;
  private readonly injector: ReturnType<grpc.Server['createConnectionInjector']>;
  /** Whether HTTP/2 streams are offered to `claim` before grpc-js (see createHookedInjector). */
  readonly streamsHooked: boolean;
  /** Whether each HTTP/2 connection gets the wide receive window (see connection-window). */
  readonly windowsWidened: boolean;

  /**
   * `claim` sees every gRPC stream (plain, TLS, and rewritten Go-client connections alike: they
   * all enter through the one injector) and answers the ones it takes; grpc-js serves the rest.
   */
  constructor(
    grpcServer: grpc.Server,
    gateway: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void,
    private readonly tls: TlsMaterial | undefined,
    claim?: StreamClaim,
  ) {
    const hooked = createHookedInjector(grpcServer, claim, widenConnectionWindow);
    this.injector = hooked.injector;
    this.streamsHooked = hooked.hooked;
    this.windowsWidened = hooked.sessionsHooked;
    this.http = httpServer({ keepAliveTimeout: HTTP_KEEP_ALIVE_MS }, gateway);
  }

  async listen(urls: string[]): Promise<void> {
    for (const raw of urls) {
      const url = new URL(raw);
      const secure = url.protocol === 'https:';
      if (secure && !this.tls) throw new Error(`${raw}: https needs --cert-file and --key-file`);
      const server =
        secure && this.tls
          ? tlsServer(
              {
                cert: this.tls.cert,
                key: this.tls.key,
                ca: this.tls.ca,
                requestCert: this.tls.requestCert,
                rejectUnauthorized: this.tls.requestCert,
                ALPNProtocols: ['h2', 'http/1.1'],
              },
              (s) => this.route(s),
            )
          : netServer((s) => this.route(s));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(Number(url.port), url.hostname, () => resolve());
      });
      this.listeners.push(server);
    }
  }

  async close(): Promise<void> {
    const closed = Promise.all(this.listeners.map((s) => new Promise((resolve) => s.close(resolve))));
    // close() waits for open connections: end them, clients reconnect to another member.
    for (const socket of this.sockets) socket.destroy();
    this.http.closeAllConnections();
    await closed;
  }

  private route(socket: Socket): void {
    this.sockets.add(socket);
    // gRPC sees our wrapper, not the socket, so it cannot turn Nagle off itself (40 ms stalls).
    socket.setNoDelay(true);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.once('data', (first: Buffer) => {
      socket.pause();
      const prefix = first.subarray(0, HTTP2_PREFACE_START.length);
      if (HTTP2_PREFACE_START.subarray(0, prefix.length).equals(prefix)) {
        if (isNghttp2Client(first)) {
          // Node's HTTP/2 reads what is already in the socket's buffer when its session starts.
          socket.unshift(first);
          this.injector.injectConnection(socket);
        } else {
          this.injector.injectConnection(replaying(socket, first));
        }
      } else {
        socket.unshift(first);
        this.http.emit('connection', socket);
        socket.resume();
      }
    });
  }
}

/**
 * For clients that may need the rewrite (see isNghttp2Client): the socket as a stream that
 * first yields the bytes we already read while sniffing, then the rest, with the client's
 * :authority made acceptable to Node (see AuthorityRewriter).
 */
function replaying(socket: Socket, first: Buffer): Duplex {
  const duplex = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    // HTTP/2 hands over a whole batch of frames (an answer's headers, data and trailers) at
    // once: one writev syscall for all of them, not one write each.
    writev(chunks, callback) {
      socket.cork();
      for (let i = 0; i < chunks.length - 1; i++) socket.write(chunks[i].chunk);
      socket.write(chunks[chunks.length - 1].chunk, callback);
      socket.uncork();
    },
    final(callback) {
      socket.end();
      callback();
    },
    destroy(error, callback) {
      socket.destroy(error ?? undefined);
      callback(error);
    },
  });
  const rewriter = new AuthorityRewriter();
  duplex.push(rewriter.push(first));
  socket.on('data', (chunk: Buffer) => {
    if (!duplex.push(rewriter.push(chunk))) socket.pause();
  });
  socket.on('end', () => duplex.push(null));
  socket.on('close', () => duplex.destroy());
  return duplex;
}
