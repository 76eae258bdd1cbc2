import { EntryType, MessageType, type Message } from '@skyroad/raft';
import { FrameKind, FrameReader, raftFrame } from '../src/peer/frames';
import { decodeMessages, encodeMessages } from '../src/peer/message-codec';

const base: Message = {
  type: MessageType.App,
  from: 0xfffffffffffff,
  to: 2,
  term: 7,
  logTerm: 6,
  index: 41,
  entries: [],
  commit: 40,
  reject: false,
  rejectHint: 0,
};

describe('raft messages on the peer wire', () => {
  it('round-trip every field, entries, context and snapshot', () => {
    const messages: Message[] = [
      {
        ...base,
        entries: [
          { term: 7, index: 42, type: EntryType.Normal, data: new Uint8Array([1, 2, 3]) },
          { term: 7, index: 43, type: EntryType.ConfChange, data: new Uint8Array(0) },
        ],
      },
      { ...base, type: MessageType.AppResp, reject: true, rejectHint: 12, context: new Uint8Array([9]) },
      {
        ...base,
        type: MessageType.Snap,
        snapshot: {
          metadata: {
            index: 40,
            term: 6,
            confState: {
              voters: [1, 2, 3],
              learners: [],
              votersOutgoing: [],
              learnersNext: [],
              autoLeave: false,
            },
          },
          data: new Uint8Array(Buffer.from('state')),
        },
      },
    ];
    const decoded = decodeMessages(encodeMessages(messages));
    expect(decoded).toEqual(messages);
    // The same batch as a RAFT frame, encoded behind its header in one buffer.
    const frames = new FrameReader().push(raftFrame(messages));
    expect(frames.map((f) => f.kind)).toEqual([FrameKind.Raft]);
    expect(decodeMessages(frames[0].payload)).toEqual(messages);
  });

  it('refuses a truncated batch and an unknown type', () => {
    const bytes = encodeMessages([
      { ...base, entries: [{ term: 1, index: 1, type: EntryType.Normal, data: new Uint8Array(8) }] },
    ]);
    expect(() => decodeMessages(bytes.subarray(0, bytes.length - 1))).toThrow(/truncated/);
    const bad = Buffer.from(bytes);
    bad.writeUInt8(250, 4);
    expect(() => decodeMessages(bad)).toThrow(/unknown message type/);
  });
});
