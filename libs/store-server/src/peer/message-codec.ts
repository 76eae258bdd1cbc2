import { MessageType, type Entry, type Message, type SnapshotMetadata } from '@skyroad/raft';

/*
 * Raft messages on the peer wire, in a fixed binary layout (all integers big-endian):
 *
 *   batch   = u32 count, message*
 *   message = u8 type, f64 from, to, term, logTerm, index, commit, rejectHint, u8 flags,
 *             u32 entryCount, entry*, [bytes context], [bytes snapshotMeta, bytes snapshotData]
 *   entry   = f64 term, f64 index, u8 type, bytes data
 *   bytes   = u32 length, raw bytes
 *
 * Numbers are doubles because that is what they are in memory (ids are 52-bit, indexes and
 * terms below 2^53), so they round-trip exactly. Entry data is written as is: this replaced
 * JSON with base64, which every MsgApp paid for twice per follower (encode on the leader,
 * decode on the follower) on the write path. Decoded byte fields are views of the frame,
 * not copies. The snapshot metadata (small, rare) stays JSON.
 */

/** Wire codes of the message types; append only, never reorder. */
const TYPES: readonly MessageType[] = [
  MessageType.Hup,
  MessageType.Beat,
  MessageType.Prop,
  MessageType.App,
  MessageType.AppResp,
  MessageType.Vote,
  MessageType.VoteResp,
  MessageType.PreVote,
  MessageType.PreVoteResp,
  MessageType.Snap,
  MessageType.Heartbeat,
  MessageType.HeartbeatResp,
  MessageType.Unreachable,
  MessageType.SnapStatus,
  MessageType.CheckQuorum,
  MessageType.TransferLeader,
  MessageType.TimeoutNow,
  MessageType.ReadIndex,
  MessageType.ReadIndexResp,
];
const TYPE_CODES = new Map(TYPES.map((t, i) => [t, i]));

const REJECT = 1;
const HAS_CONTEXT = 2;
const HAS_SNAPSHOT = 4;

const MESSAGE_FIXED_BYTES = 1 + 7 * 8 + 1 + 4;
const ENTRY_FIXED_BYTES = 8 + 8 + 1 + 4;

/**
 * The batch encoded into one new buffer, after `headroom` bytes left for the caller (the frame
 * header, see raftFrame): one allocation and no copy per batch on the write path.
 */
export function encodeMessages(messages: Message[], headroom = 0): Buffer {
  let snapshotMeta: Array<Buffer | undefined> | undefined;
  let size = headroom + 4;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    size += MESSAGE_FIXED_BYTES;
    for (const e of m.entries) size += ENTRY_FIXED_BYTES + e.data.byteLength;
    if (m.context) size += 4 + m.context.byteLength;
    if (m.snapshot) {
      snapshotMeta ??= [];
      snapshotMeta[i] = Buffer.from(JSON.stringify(m.snapshot.metadata));
      size += 4 + snapshotMeta[i]!.length + 4 + m.snapshot.data.byteLength;
    }
  }
  const out = Buffer.allocUnsafe(size);
  out.fill(0, 0, headroom);
  const w = new Writer(out, headroom);
  w.u32(messages.length);
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    const code = TYPE_CODES.get(m.type);
    if (code === undefined) throw new Error(`peer wire: unknown message type ${m.type}`);
    w.u8(code);
    w.f64(m.from);
    w.f64(m.to);
    w.f64(m.term);
    w.f64(m.logTerm);
    w.f64(m.index);
    w.f64(m.commit);
    w.f64(m.rejectHint);
    w.u8((m.reject ? REJECT : 0) | (m.context ? HAS_CONTEXT : 0) | (m.snapshot ? HAS_SNAPSHOT : 0));
    w.u32(m.entries.length);
    for (const e of m.entries) {
      w.f64(e.term);
      w.f64(e.index);
      w.u8(e.type);
      w.bytes(e.data);
    }
    if (m.context) w.bytes(m.context);
    if (m.snapshot) {
      w.bytes(snapshotMeta![i]!);
      w.bytes(m.snapshot.data);
    }
  }
  return out;
}

export function decodeMessages(payload: Buffer): Message[] {
  const r = new Reader(payload);
  const count = r.u32();
  const messages: Message[] = [];
  for (let i = 0; i < count; i++) {
    const type = TYPES[r.u8()];
    if (type === undefined) throw new Error('peer wire: unknown message type');
    const from = r.f64();
    const to = r.f64();
    const term = r.f64();
    const logTerm = r.f64();
    const index = r.f64();
    const commit = r.f64();
    const rejectHint = r.f64();
    const flags = r.u8();
    const entries: Entry[] = new Array<Entry>(r.u32());
    for (let j = 0; j < entries.length; j++) {
      const entryTerm = r.f64();
      const entryIndex = r.f64();
      entries[j] = { term: entryTerm, index: entryIndex, type: r.u8(), data: r.bytes() };
    }
    const message: Message = {
      type,
      from,
      to,
      term,
      logTerm,
      index,
      entries,
      commit,
      reject: (flags & REJECT) !== 0,
      rejectHint,
    };
    if (flags & HAS_CONTEXT) message.context = r.bytes();
    if (flags & HAS_SNAPSHOT) {
      const metadata = JSON.parse(Buffer.from(r.bytes()).toString('utf8')) as SnapshotMetadata;
      message.snapshot = { metadata, data: r.bytes() };
    }
    messages.push(message);
  }
  return messages;
}

/** Sequential big-endian writes into a buffer sized beforehand. */
class Writer {
  constructor(
    private readonly out: Buffer,
    private at: number,
  ) {}

  u8(n: number): void {
    this.at = this.out.writeUInt8(n, this.at);
  }

  u32(n: number): void {
    this.at = this.out.writeUInt32BE(n, this.at);
  }

  f64(n: number): void {
    this.at = this.out.writeDoubleBE(n, this.at);
  }

  bytes(data: Uint8Array): void {
    this.u32(data.byteLength);
    this.out.set(data, this.at);
    this.at += data.byteLength;
  }
}

/** Sequential big-endian reads, refusing to read past the end. */
class Reader {
  private at = 0;

  constructor(private readonly payload: Buffer) {}

  private need(n: number): void {
    if (this.at + n > this.payload.length) throw new Error('peer wire: truncated raft batch');
  }

  u8(): number {
    this.need(1);
    return this.payload.readUInt8(this.at++);
  }

  u32(): number {
    this.need(4);
    this.at += 4;
    return this.payload.readUInt32BE(this.at - 4);
  }

  f64(): number {
    this.need(8);
    this.at += 8;
    return this.payload.readDoubleBE(this.at - 8);
  }

  /** A view of the payload, not a copy. */
  bytes(): Uint8Array {
    const length = this.u32();
    this.need(length);
    this.at += length;
    const payload = this.payload;
    return new Uint8Array(payload.buffer, payload.byteOffset + this.at - length, length);
  }
}
