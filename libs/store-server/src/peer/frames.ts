/*
 * The peer wire: length-prefixed frames over one TCP (or TLS) stream. Each frame is
 * [u32 length of what follows][u8 kind][payload]. A connection opens with HELLO from the
 * dialer naming its cluster and member; the listener answers HELLO_OK or HELLO_REJECT and
 * closes. After that the dialer sends RAFT batches and RPC requests; the listener answers
 * RPC responses on the same stream.
 */
import type { Message } from '@skyroad/raft';
import { encodeMessages } from './message-codec';

export enum FrameKind {
  Hello = 1,
  HelloOk = 2,
  HelloReject = 3,
  Raft = 4,
  RpcRequest = 5,
  RpcResponse = 6,
}

/** The largest frame we accept: a snapshot of a big backend travels in one frame. */
export const MAX_FRAME_BYTES = 1024 * 1024 * 1024;
const HEADER_BYTES = 5;

export interface Frame {
  kind: FrameKind;
  payload: Buffer;
}

export function encodeFrame(kind: FrameKind, payload: Buffer): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32BE(payload.length + 1, 0);
  header.writeUInt8(kind, 4);
  return Buffer.concat([header, payload]);
}

/** A RAFT frame of `messages`, encoded after the header in the same buffer (no copy). */
export function raftFrame(messages: Message[]): Buffer {
  const frame = encodeMessages(messages, HEADER_BYTES);
  frame.writeUInt32BE(frame.length - 4, 0);
  frame.writeUInt8(FrameKind.Raft, 4);
  return frame;
}

export function jsonFrame(kind: FrameKind, body: unknown): Buffer {
  return encodeFrame(kind, Buffer.from(JSON.stringify(body)));
}

/** Reassembles frames from stream chunks. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.peek(4);
      const length = head.readUInt32BE(0);
      if (length < 1 || length > MAX_FRAME_BYTES) throw new Error(`peer frame of ${length} bytes refused`);
      if (this.buffered < 4 + length) break;
      const whole = this.take(4 + length);
      frames.push({ kind: whole.readUInt8(4) as FrameKind, payload: whole.subarray(5) });
    }
    return frames;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0].subarray(0, n);
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return out;
  }
}
