import {
  decodeConfChange,
  EntryType,
  MemoryStorage,
  Message,
  NodeId,
  RawNode,
  Ready,
  SeededRandom,
} from '../src';

/** A tiny in-memory cluster for scenario tests: persist everything, deliver on demand. */
export class TestCluster {
  readonly nodes = new Map<NodeId, RawNode>();
  readonly storages = new Map<NodeId, MemoryStorage>();
  readonly applied = new Map<NodeId, Uint8Array[]>();
  /** Read states each node produced, by request context (as text). */
  readonly reads = new Map<NodeId, Map<string, number>>();
  /** Messages sent but not delivered yet. */
  inbox: Message[] = [];
  /** Links that drop everything: "from->to". */
  readonly cut = new Set<string>();

  constructor(ids: NodeId[], opts: { preVote?: boolean; checkQuorum?: boolean; electionTick?: number } = {}) {
    for (const id of ids) this.addNode(id, MemoryStorage.bootstrap(ids), opts);
  }

  addNode(
    id: NodeId,
    storage: MemoryStorage,
    opts: { preVote?: boolean; checkQuorum?: boolean; electionTick?: number } = {},
  ) {
    this.storages.set(id, storage);
    this.applied.set(id, []);
    this.reads.set(id, new Map());
    this.nodes.set(
      id,
      new RawNode({
        id,
        electionTick: opts.electionTick ?? 10,
        heartbeatTick: 1,
        storage,
        preVote: opts.preVote,
        checkQuorum: opts.checkQuorum,
        random: new SeededRandom(id),
      }),
    );
  }

  node(id: NodeId): RawNode {
    return this.nodes.get(id)!;
  }

  isolate(id: NodeId): void {
    for (const other of this.nodes.keys()) {
      if (other === id) continue;
      this.cut.add(`${id}->${other}`);
      this.cut.add(`${other}->${id}`);
    }
  }

  heal(): void {
    this.cut.clear();
  }

  /** Handles one Ready of a node the way an application must. */
  processReady(id: NodeId): boolean {
    const n = this.node(id);
    if (!n.hasReady()) return false;
    const rd: Ready = n.ready();
    const s = this.storages.get(id)!;
    this.send(rd.messages);
    if (rd.snapshot) {
      s.applySnapshot(rd.snapshot);
      this.applied.set(id, []);
    }
    s.append(rd.entries);
    if (rd.hardState) s.setHardState(rd.hardState);
    this.send(rd.messagesAfterPersist);
    for (const e of rd.committedEntries) {
      if (e.type === EntryType.ConfChange) n.applyConfChange(decodeConfChange(e.data));
      else if (e.data.byteLength > 0) this.applied.get(id)!.push(e.data);
    }
    for (const rs of rd.readStates) this.reads.get(id)!.set(text(rs.requestCtx), rs.index);
    n.advance(rd);
    return true;
  }

  send(msgs: Message[]): void {
    for (const m of msgs) {
      if (this.cut.has(`${m.from}->${m.to}`) || !this.nodes.has(m.to)) continue;
      this.inbox.push(m);
    }
  }

  /** Processes readies and delivers messages until nothing is left (bounded). */
  stabilize(maxRounds = 1000): void {
    for (let round = 0; round < maxRounds; round++) if (!this.round()) return;
    throw new Error('cluster did not stabilize');
  }

  /** One round: every node handles its Ready, then every message in flight is delivered. */
  round(): boolean {
    let progressed = false;
    for (const id of [...this.nodes.keys()].sort((a, b) => a - b))
      progressed = this.processReady(id) || progressed;
    const batch = this.inbox;
    this.inbox = [];
    for (const m of batch) {
      this.node(m.to).step(m);
      progressed = true;
    }
    return progressed;
  }

  tickAll(n: number): void {
    for (let i = 0; i < n; i++) {
      for (const node of this.nodes.values()) node.tick();
      this.stabilize();
    }
  }

  leader(): NodeId | undefined {
    for (const [id, n] of this.nodes) if (n.status().role === 'StateLeader') return id;
    return undefined;
  }
}

export const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));
export const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
