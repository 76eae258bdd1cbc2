import { ConfState, Entry, EntryType, HardState, Message, MessageType, NONE } from './raftpb';

/**
 * Bytes an entry counts for against size limits. Raft treats data as opaque, so the payload
 * length plus a fixed header is a stable, encoding-independent measure.
 */
export const ENTRY_HEADER_BYTES = 16;

/** "No limit" for entry slices. */
export const NO_LIMIT_BYTES = Number.MAX_SAFE_INTEGER;

export function entrySizeBytes(e: Entry): number {
  return e.data.byteLength + ENTRY_HEADER_BYTES;
}

/** The longest prefix of `ents` within `maxBytes`, but always at least one entry. */
export function limitSize(ents: Entry[], maxBytes: number): Entry[] {
  if (ents.length === 0) return ents;
  let size = entrySizeBytes(ents[0]);
  let limit = 1;
  for (; limit < ents.length; limit++) {
    size += entrySizeBytes(ents[limit]);
    if (size > maxBytes) break;
  }
  return limit === ents.length ? ents : ents.slice(0, limit);
}

export function emptyHardState(): HardState {
  return { term: 0, vote: NONE, commit: 0 };
}

export function isEmptyHardState(hs: HardState): boolean {
  return hs.term === 0 && hs.vote === NONE && hs.commit === 0;
}

export function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

export function emptyConfState(): ConfState {
  return { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
}

/** A message with every field at its zero value except the ones given. */
export function newMessage(fields: Partial<Message> & { type: MessageType }): Message {
  return {
    from: NONE,
    to: NONE,
    term: 0,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    ...fields,
  };
}

export function newEntry(fields: Partial<Entry> = {}): Entry {
  return { term: 0, index: 0, type: EntryType.Normal, data: new Uint8Array(0), ...fields };
}

export function bytesEqual(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A map key for an opaque context (ReadIndex requests are matched by context bytes). */
export function bytesKey(b: Uint8Array | undefined): string {
  return b === undefined ? '' : Buffer.from(b).toString('hex');
}

/** Messages generated only by the node itself; they must never arrive from the network. */
export function isLocalMessage(t: MessageType): boolean {
  return (
    t === MessageType.Hup ||
    t === MessageType.Beat ||
    t === MessageType.Unreachable ||
    t === MessageType.SnapStatus ||
    t === MessageType.CheckQuorum
  );
}

export function isResponseMessage(t: MessageType): boolean {
  return (
    t === MessageType.AppResp ||
    t === MessageType.VoteResp ||
    t === MessageType.HeartbeatResp ||
    t === MessageType.Unreachable ||
    t === MessageType.PreVoteResp
  );
}

export function voteResponseType(t: MessageType): MessageType {
  switch (t) {
    case MessageType.Vote:
      return MessageType.VoteResp;
    case MessageType.PreVote:
      return MessageType.PreVoteResp;
    default:
      throw new Error(`not a vote message: ${t}`);
  }
}
