import { Message, NodeId } from './raftpb';
import { bytesKey } from './util';

/** A linearizable read point: once applied >= index, the read identified by requestCtx may be served. */
export interface ReadState {
  index: number;
  requestCtx: Uint8Array;
}

interface ReadIndexStatus {
  req: Message;
  /** The leader's commit index when the request arrived. */
  index: number;
  acks: Set<NodeId>;
}

/**
 * ReadIndex requests waiting for a heartbeat round to confirm leadership (etcd's
 * read_only.go, ReadOnlySafe). Requests are answered in arrival order: an ack for a later
 * request confirms every earlier one too.
 */
export class ReadOnlyQueue {
  private readonly pending = new Map<string, ReadIndexStatus>();
  private queue: string[] = [];

  addRequest(index: number, m: Message): void {
    const key = bytesKey(m.context);
    if (this.pending.has(key)) return;
    this.pending.set(key, { index, req: m, acks: new Set() });
    this.queue.push(key);
  }

  /** Records a heartbeat ack carrying ctx; returns who has acked that request so far. */
  recvAck(id: NodeId, ctx: Uint8Array | undefined): ReadonlySet<NodeId> | undefined {
    const rs = this.pending.get(bytesKey(ctx));
    if (rs === undefined) return undefined;
    rs.acks.add(id);
    return rs.acks;
  }

  /** Dequeues the request with ctx and every request before it; returns them in order. */
  advance(ctx: Uint8Array | undefined): ReadIndexStatus[] {
    const key = bytesKey(ctx);
    const pos = this.queue.indexOf(key);
    if (pos < 0) return [];
    const done = this.queue.slice(0, pos + 1);
    this.queue = this.queue.slice(pos + 1);
    const out: ReadIndexStatus[] = [];
    for (const k of done) {
      const rs = this.pending.get(k);
      if (rs !== undefined) out.push(rs);
      this.pending.delete(k);
    }
    return out;
  }

  lastPendingRequestCtx(): Uint8Array | undefined {
    if (this.queue.length === 0) return undefined;
    return this.pending.get(this.queue[this.queue.length - 1])?.req.context;
  }
}
