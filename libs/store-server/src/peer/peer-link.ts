import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Message } from '@skyroad/raft';
import { FrameKind, FrameReader, jsonFrame, raftFrame } from './frames';
import type { TlsMaterial } from '../config/tls';

/** Messages waiting for one peer; beyond this, new ones are dropped (Raft retransmits). */
export const MAX_QUEUED_MESSAGES = 4096;
/** Raft messages put in one frame. */
export const MAX_BATCH_MESSAGES = 256;
export const RECONNECT_MIN_MS = 50;
export const RECONNECT_MAX_MS = 2000;
export const DIAL_TIMEOUT_MS = 1000;
export const RPC_TIMEOUT_MS = 5000;

export interface Hello {
  clusterId: string;
  from: number;
  to: number;
}

export interface LinkEvents {
  /** The peer could not be reached, so Raft should slow down (MsgUnreachable). */
  unreachable(peerId: number): void;
  /** A snapshot we sent was delivered (or not). */
  snapshotStatus(peerId: number, ok: boolean): void;
  /** The peer refused us: another cluster, or it removed us. */
  rejected(peerId: number, reason: string): void;
}

interface PendingRpc {
  resolve(body: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * The outbound stream to one peer: batches Raft messages into frames, respects socket
 * back-pressure, reconnects with exponential backoff, and carries request/response RPCs
 * (lease renewals and reads forwarded to the leader, membership queries).
 */
export class PeerLink {
  private socket: Socket | undefined;
  private ready = false;
  private queue: Message[] = [];
  private backoffMs = RECONNECT_MIN_MS;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private nextRpcId = 1;
  private readonly pending = new Map<number, PendingRpc>();

  constructor(
    readonly peerId: number,
    private urls: string[],
    private readonly hello: () => Hello,
    private readonly tls: TlsMaterial | undefined,
    private readonly events: LinkEvents,
  ) {
    this.dial();
  }

  updateUrls(urls: string[]): void {
    this.urls = urls;
    this.socket?.destroy();
  }

  /** Queues a message; it leaves with the next flush(). */
  enqueue(message: Message): void {
    if (this.closed) return;
    if (this.queue.length >= MAX_QUEUED_MESSAGES) {
      this.events.unreachable(this.peerId);
      if (message.snapshot) this.events.snapshotStatus(this.peerId, false);
      return;
    }
    this.queue.push(message);
  }

  rpc(method: string, body: unknown): Promise<unknown> {
    if (!this.ready || !this.socket)
      return Promise.reject(new Error(`peer ${this.peerId.toString(16)} is unreachable`));
    const id = this.nextRpcId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`peer ${this.peerId.toString(16)} did not answer ${method}`));
      }, RPC_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      this.socket!.write(jsonFrame(FrameKind.RpcRequest, { id, method, body }));
    });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.socket?.destroy();
    this.failPending(new Error('peer link closed'));
  }

  private dial(): void {
    if (this.closed) return;
    const url = new URL(this.urls[0]);
    const options = { host: url.hostname, port: Number(url.port) };
    const socket =
      url.protocol === 'https:' && this.tls
        ? tlsConnect({
            ...options,
            cert: this.tls.cert,
            key: this.tls.key,
            ca: this.tls.ca,
            servername: url.hostname,
          })
        : netConnect(options);
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setTimeout(DIAL_TIMEOUT_MS, () => socket.destroy(new Error('dial timeout')));
    const reader = new FrameReader();
    socket.once(url.protocol === 'https:' && this.tls ? 'secureConnect' : 'connect', () => {
      socket.setTimeout(0);
      socket.write(jsonFrame(FrameKind.Hello, this.hello()));
    });
    socket.on('data', (chunk: Buffer) => {
      let frames;
      try {
        frames = reader.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const frame of frames) this.onFrame(frame.kind, frame.payload);
    });
    socket.on('drain', () => this.flush());
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const wasReady = this.ready;
      this.ready = false;
      this.failPending(new Error(`peer ${this.peerId.toString(16)} connection lost`));
      if (!wasReady) this.events.unreachable(this.peerId);
      if (this.closed) return;
      const delay = wasReady ? RECONNECT_MIN_MS : this.backoffMs;
      this.backoffMs = wasReady ? RECONNECT_MIN_MS : Math.min(this.backoffMs * 2, RECONNECT_MAX_MS);
      this.reconnectTimer = setTimeout(() => this.dial(), delay);
    });
  }

  private onFrame(kind: FrameKind, payload: Buffer): void {
    if (kind === FrameKind.HelloOk) {
      this.ready = true;
      this.backoffMs = RECONNECT_MIN_MS;
      this.flush();
    } else if (kind === FrameKind.HelloReject) {
      const { reason } = JSON.parse(payload.toString('utf8')) as { reason: string };
      this.events.rejected(this.peerId, reason);
    } else if (kind === FrameKind.RpcResponse) {
      const { id, ok, body, error } = JSON.parse(payload.toString('utf8')) as {
        id: number;
        ok: boolean;
        body: unknown;
        error: string;
      };
      const pending = this.pending.get(id);
      if (!pending) return;
      this.pending.delete(id);
      clearTimeout(pending.timer);
      if (ok) pending.resolve(body);
      else pending.reject(new Error(error));
    }
  }

  /**
   * Writes what is queued now, in frames of up to MAX_BATCH_MESSAGES (the caller queues a whole
   * Ready first, so that is one frame per peer per Ready). Waiting for a later turn to batch
   * more would only delay every MsgApp and acknowledgement on a write's critical path. While
   * the link is down or the socket wants draining, messages stay queued for `drain`/HelloOk.
   */
  flush(): void {
    const socket = this.socket;
    if (!this.ready || !socket || socket.writableNeedDrain) return;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH_MESSAGES);
      const more = socket.write(raftFrame(batch));
      for (const m of batch) if (m.snapshot) this.events.snapshotStatus(this.peerId, true);
      if (!more) return;
    }
  }

  private failPending(error: Error): void {
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(error);
      this.pending.delete(id);
    }
  }
}
