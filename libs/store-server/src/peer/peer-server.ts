import { createServer as netServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { createServer as tlsServer, connect as tlsConnect } from 'node:tls';
import type { Message } from '@skyroad/raft';
import { FrameKind, FrameReader, jsonFrame } from './frames';
import { decodeMessages } from './message-codec';
import type { Hello } from './peer-link';
import type { TlsMaterial } from '../config/tls';

export const CLUSTER_QUERY_TIMEOUT_MS = 2000;
/** Why a peer refuses a member that was removed from the cluster (the member then stops). */
export const REMOVED_REASON = 'the member has been permanently removed from the cluster';

export interface PeerHandler {
  clusterId(): string;
  localId(): number;
  /** Whether `memberId` may talk to us (not a removed member). */
  accepts(memberId: number): boolean;
  receive(messages: Message[]): void;
  rpc(method: string, body: unknown): Promise<unknown>;
  /** What a member joining with --initial-cluster-state existing needs to know. */
  clusterInfo(): Promise<unknown>;
}

/** The listening side of the peer port: checks each dialer's cluster and identity first. */
export class PeerServer {
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly handler: PeerHandler,
    private readonly tls: TlsMaterial | undefined,
  ) {}

  async listen(urls: string[]): Promise<void> {
    for (const raw of urls) {
      const url = new URL(raw);
      const server =
        url.protocol === 'https:' && this.tls
          ? tlsServer(
              {
                cert: this.tls.cert,
                key: this.tls.key,
                ca: this.tls.ca,
                requestCert: this.tls.requestCert,
                rejectUnauthorized: this.tls.requestCert,
              },
              (s) => this.accept(s),
            )
          : netServer((s) => this.accept(s));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(Number(url.port), url.hostname, () => resolve());
      });
      this.servers.push(server);
    }
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(this.servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    const reader = new FrameReader();
    let peer: number | undefined;
    socket.on('data', (chunk: Buffer) => {
      let frames;
      try {
        frames = reader.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const { kind, payload } of frames) {
        if (peer === undefined) {
          if (kind !== FrameKind.Hello) return void socket.destroy();
          peer = this.greet(socket, JSON.parse(payload.toString('utf8')) as Hello);
          if (peer === undefined) return;
        } else if (kind === FrameKind.Raft) {
          // A member removed while connected learns it on its next message.
          if (!this.handler.accepts(peer)) {
            socket.end(
              jsonFrame(FrameKind.HelloReject, { reason: `${REMOVED_REASON}: ${peer.toString(16)}` }),
            );
            return;
          }
          this.handler.receive(decodeMessages(payload));
        } else if (kind === FrameKind.RpcRequest) {
          this.answer(
            socket,
            JSON.parse(payload.toString('utf8')) as { id: number; method: string; body: unknown },
          );
        }
      }
    });
  }

  /** Returns the peer's id when it may talk to us; otherwise answers why not and closes. */
  private greet(socket: Socket, hello: Hello): number | undefined {
    const reject = (reason: string) => {
      socket.end(jsonFrame(FrameKind.HelloReject, { reason }));
      return undefined;
    };
    if (hello.clusterId === '') {
      // A member joining an existing cluster asks who we are before it can say hello.
      this.handler.clusterInfo().then(
        (info) => socket.end(jsonFrame(FrameKind.HelloOk, info)),
        () => socket.destroy(),
      );
      return undefined;
    }
    if (hello.clusterId !== this.handler.clusterId()) {
      return reject(`cluster ID mismatch: local ${this.handler.clusterId()}, remote ${hello.clusterId}`);
    }
    if (hello.to !== this.handler.localId())
      return reject(`member ${hello.to.toString(16)} is not this member`);
    if (!this.handler.accepts(hello.from)) return reject(`${REMOVED_REASON}: ${hello.from.toString(16)}`);
    socket.write(jsonFrame(FrameKind.HelloOk, {}));
    return hello.from;
  }

  private answer(socket: Socket, req: { id: number; method: string; body: unknown }): void {
    this.handler.rpc(req.method, req.body).then(
      (body) => socket.write(jsonFrame(FrameKind.RpcResponse, { id: req.id, ok: true, body })),
      (error: unknown) =>
        socket.write(
          jsonFrame(FrameKind.RpcResponse, {
            id: req.id,
            ok: false,
            error: (error as Error).message ?? String(error),
          }),
        ),
    );
  }
}

/** Asks the member at `url` for its cluster id and members (used when joining). */
export function queryCluster(url: string, tls: TlsMaterial | undefined): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const options = { host: u.hostname, port: Number(u.port) };
    const secure = u.protocol === 'https:' && tls;
    const socket = secure
      ? tlsConnect({ ...options, cert: tls.cert, key: tls.key, ca: tls.ca, servername: u.hostname })
      : netConnect(options);
    const reader = new FrameReader();
    const timer = setTimeout(
      () => socket.destroy(new Error(`no answer from ${url}`)),
      CLUSTER_QUERY_TIMEOUT_MS,
    );
    socket.once(secure ? 'secureConnect' : 'connect', () =>
      socket.write(jsonFrame(FrameKind.Hello, { clusterId: '', from: 0, to: 0 })),
    );
    socket.on('data', (chunk: Buffer) => {
      for (const frame of reader.push(chunk)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(JSON.parse(frame.payload.toString('utf8')));
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
