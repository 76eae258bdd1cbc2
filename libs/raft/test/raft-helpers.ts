import { Raft } from '../src/raft';
import { Entry, EntryType, MemoryStorage, Message, MessageType, NodeId, SeededRandom } from '../src';
import { newMessage } from '../src/util';

/** A bare Raft state machine over a MemoryStorage, as etcd's newTestRaft. */
export function newTestRaft(
  id: NodeId,
  peers: NodeId[],
  opts: {
    electionTick?: number;
    heartbeatTick?: number;
    storage?: MemoryStorage;
    preVote?: boolean;
    checkQuorum?: boolean;
  } = {},
): Raft {
  return new Raft({
    id,
    electionTick: opts.electionTick ?? 10,
    heartbeatTick: opts.heartbeatTick ?? 1,
    storage: opts.storage ?? MemoryStorage.bootstrap(peers),
    preVote: opts.preVote,
    checkQuorum: opts.checkQuorum,
    random: new SeededRandom(id),
  });
}

/** Takes every message the state machine produced, in order (both send classes). */
export function readMessages(r: Raft): Message[] {
  r.flushProposals();
  const out = [...r.msgs, ...r.msgsAfterPersist];
  r.msgs = [];
  r.msgsAfterPersist = [];
  return out;
}

export function msg(fields: Partial<Message> & { type: MessageType }): Message {
  return newMessage(fields);
}

export function ent(index: number, term: number, data = ''): Entry {
  return { index, term, type: EntryType.Normal, data: new Uint8Array(Buffer.from(data, 'utf8')) };
}

/** Makes the pending entries durable, as an application handling a Ready would. */
export function persist(r: Raft, storage: MemoryStorage): void {
  const ents = r.raftLog.unstableEntries();
  storage.append([...ents]);
  if (ents.length > 0) r.onEntriesPersisted(ents[ents.length - 1].index, ents[ents.length - 1].term);
}

/** Elects r leader of a cluster by delivering the votes it asks for. */
export function electLeader(r: Raft, storage: MemoryStorage): void {
  r.step(msg({ type: MessageType.Hup, from: r.id }));
  persist(r, storage);
  for (const m of readMessages(r)) {
    if (m.type === MessageType.Vote)
      r.step(msg({ type: MessageType.VoteResp, from: m.to, to: r.id, term: m.term }));
  }
  persist(r, storage);
}
