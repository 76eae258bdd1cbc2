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

export function encodeMessages(messages: Message[]): Buffer {
  const snapshotMeta = messages.map((m) =>
    m.snapshot ? Buffer.from(JSON.stringify(m.snapshot.metadata)) : undefined,
  );
  let size = 4;
  messages.forEach((m, i) => {
    size += MESSAGE_FIXED_BYTES;
    for (const e of m.entries) size += ENTRY_FIXED_BYTES + e.data.byteLength;
    if (m.context) size += 4 + m.context.byteLength;
    if (m.snapshot) size += 4 + snapshotMeta[i]!.length + 4 + m.snapshot.data.byteLength;
  });
  const out = Buffer.allocUnsafe(size);
  let at = out.writeUInt32BE(messages.length, 0);
  const bytes = (data: Uint8Array) => {
    at = out.writeUInt32BE(data.byteLength, at);
    out.set(data, at);
    at += data.byteLength;
  };
  messages.forEach((m, i) => {
    const code = TYPE_CODES.get(m.type);
    if (code === undefined) throw new Error(`peer wire: unknown message type ${m.type}`);
    at = out.writeUInt8(code, at);
    for (const n of [m.from, m.to, m.term, m.logTerm, m.index, m.commit, m.rejectHint])
      at = out.writeDoubleBE(n, at);
    const flags = (m.reject ? REJECT : 0) | (m.context ? HAS_CONTEXT : 0) | (m.snapshot ? HAS_SNAPSHOT : 0);
    at = out.writeUInt8(flags, at);
    at = out.writeUInt32BE(m.entries.length, at);
    for (const e of m.entries) {
      at = out.writeDoubleBE(e.term, at);
      at = out.writeDoubleBE(e.index, at);
      at = out.writeUInt8(e.type, at);
      bytes(e.data);
    }
    if (m.context) bytes(m.context);
    if (m.snapshot) {
      bytes(snapshotMeta[i]!);
      bytes(m.snapshot.data);
    }
  });
  return out;
}

export function decodeMessages(payload: Buffer): Message[] {
  let at = 0;
  const need = (n: number) => {
    if (at + n > payload.length) throw new Error('peer wire: truncated raft batch');
  };
  const u8 = () => (need(1), payload.readUInt8(at++));
  const u32 = () => (need(4), (at += 4), payload.readUInt32BE(at - 4));
  const f64 = () => (need(8), (at += 8), payload.readDoubleBE(at - 8));
  const bytes = (): Uint8Array => {
    const length = u32();
    need(length);
    at += length;
    return new Uint8Array(payload.buffer, payload.byteOffset + at - length, length);
  };
  const count = u32();
  const messages: Message[] = [];
  for (let i = 0; i < count; i++) {
    const type = TYPES[u8()];
    if (type === undefined) throw new Error('peer wire: unknown message type');
    const [from, to, term, logTerm, index, commit, rejectHint] = [
      f64(),
      f64(),
      f64(),
      f64(),
      f64(),
      f64(),
      f64(),
    ];
    const flags = u8();
    const entries: Entry[] = new Array<Entry>(u32());
    for (let j = 0; j < entries.length; j++) {
      const entryTerm = f64();
      const entryIndex = f64();
      entries[j] = { term: entryTerm, index: entryIndex, type: u8(), data: bytes() };
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
    if (flags & HAS_CONTEXT) message.context = bytes();
    if (flags & HAS_SNAPSHOT) {
      const metadata = JSON.parse(Buffer.from(bytes()).toString('utf8')) as SnapshotMetadata;
      message.snapshot = { metadata, data: bytes() };
    }
    messages.push(message);
  }
  return messages;
}
