import { Message, MessageType, NodeId } from '../raftpb';
import { SeededRandom } from '../random';

/** Fault rates of the simulated network, drawn per seed. */
export interface NetworkFaults {
  dropRate: number;
  duplicateRate: number;
  /** Delivery delay in sim steps, uniform in [min, max]; different delays reorder messages. */
  minDelaySteps: number;
  maxDelaySteps: number;
}

export const HEALTHY_NETWORK: NetworkFaults = {
  dropRate: 0,
  duplicateRate: 0,
  minDelaySteps: 1,
  maxDelaySteps: 2,
};

interface InFlight {
  deliverAt: number;
  seq: number;
  msg: Message;
}

/** What the network tells the sender about a MsgSnap (etcd's transport reports it too). */
export type SnapshotReport = (from: NodeId, to: NodeId, ok: boolean) => void;

/**
 * A simulated network: every message gets a random delay; some are dropped or duplicated;
 * blocked links (partitions, one-way included) drop everything sent over them.
 */
export class SimNetwork {
  faults: NetworkFaults = HEALTHY_NETWORK;
  private readonly blocked = new Set<string>();
  private queue: InFlight[] = [];
  private seq = 0;

  constructor(
    private readonly rng: SeededRandom,
    private readonly trace: ((line: string) => void) | undefined,
    private readonly reportSnapshot: SnapshotReport,
  ) {}

  block(from: NodeId, to: NodeId): void {
    this.blocked.add(`${from}>${to}`);
  }

  healAll(): void {
    this.blocked.clear();
  }

  isBlocked(from: NodeId, to: NodeId): boolean {
    return this.blocked.has(`${from}>${to}`);
  }

  blockedLinks(): string[] {
    return [...this.blocked].sort();
  }

  send(now: number, m: Message): void {
    if (this.isBlocked(m.from, m.to) || this.rng.chance(this.faults.dropRate)) {
      this.trace?.(`drop ${describe(m)}`);
      if (m.type === MessageType.Snap) this.reportSnapshot(m.from, m.to, false);
      return;
    }
    this.enqueue(now, m);
    if (this.rng.chance(this.faults.duplicateRate)) {
      this.trace?.(`duplicate ${describe(m)}`);
      this.enqueue(now, m);
    }
  }

  private enqueue(now: number, msg: Message): void {
    const delay = this.rng.between(this.faults.minDelaySteps, this.faults.maxDelaySteps);
    this.queue.push({ deliverAt: now + delay, seq: this.seq++, msg });
  }

  /** Messages due at `now`, in (due time, send order); a partition made later still cuts them. */
  due(now: number): Message[] {
    if (this.queue.length === 0) return [];
    const ready: InFlight[] = [];
    const later: InFlight[] = [];
    for (const f of this.queue) (f.deliverAt <= now ? ready : later).push(f);
    this.queue = later;
    ready.sort((a, b) => a.deliverAt - b.deliverAt || a.seq - b.seq);
    const out: Message[] = [];
    for (const f of ready) {
      if (this.isBlocked(f.msg.from, f.msg.to)) {
        this.trace?.(`cut ${describe(f.msg)}`);
        if (f.msg.type === MessageType.Snap) this.reportSnapshot(f.msg.from, f.msg.to, false);
        continue;
      }
      out.push(f.msg);
    }
    return out;
  }

  inFlight(): number {
    return this.queue.length;
  }
}

export function describe(m: Message): string {
  const parts = [`${m.type} ${m.from}->${m.to} t${m.term}`];
  if (m.type === MessageType.App) parts.push(`i${m.index}/${m.logTerm} n${m.entries.length} c${m.commit}`);
  if (m.type === MessageType.AppResp)
    parts.push(`i${m.index}${m.reject ? ` reject hint${m.rejectHint}` : ''}`);
  if (m.type === MessageType.Vote || m.type === MessageType.PreVote)
    parts.push(`last${m.index}/${m.logTerm}`);
  if (m.type === MessageType.VoteResp || m.type === MessageType.PreVoteResp)
    parts.push(m.reject ? 'reject' : 'grant');
  if (m.type === MessageType.Heartbeat) parts.push(`c${m.commit}`);
  if (m.type === MessageType.Snap && m.snapshot) parts.push(`snap${m.snapshot.metadata.index}`);
  if (m.type === MessageType.ReadIndexResp) parts.push(`i${m.index}`);
  return parts.join(' ');
}
