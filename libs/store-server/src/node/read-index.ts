import { randomBytes } from 'node:crypto';
import type { ReadState } from '@skyroad/raft';
import { Errors } from '../grpc/errors';

/** A linearizable read waits at most this long for the leader to confirm its commit index. */
export const READ_INDEX_TIMEOUT_MS = 5_000;
/** Retry a ReadIndex whose answer got lost (leader change, dropped message). */
export const READ_INDEX_RETRY_MS = 500;
const READ_CONTEXT_BYTES = 8;

interface PendingRead {
  resolve(): void;
  reject(error: Error): void;
}

interface Round {
  ctx: Buffer;
  readers: PendingRead[];
  /** Set once the leader answered: reads may go once applied reaches it. */
  index?: number;
  sentAt: number;
  deadline: number;
}

/**
 * Linearizable reads, batched as etcd's linearizableReadLoop: every read arriving while a
 * ReadIndex round is in flight joins the next round; a round is released once the state
 * machine has applied up to the index the leader confirmed.
 */
export class ReadIndexBarrier {
  private current: Round | undefined;
  private next: PendingRead[] = [];
  private readonly answered: Round[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    /** Asks Raft for a read index; throws when there is no leader. */
    private readonly request: (ctx: Uint8Array) => void,
    private readonly applied: () => number,
  ) {}

  /** Resolves when a read issued now may be served from the local state. */
  wait(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.next.push({ resolve, reject });
      this.startRound();
    });
  }

  onReadStates(states: ReadState[]): void {
    for (const s of states) {
      const round = this.current;
      if (!round || !Buffer.from(s.requestCtx).equals(round.ctx)) continue;
      round.index = s.index;
      this.answered.push(round);
      this.current = undefined;
    }
    this.onApplied();
    this.startRound();
  }

  /** Called after entries were applied. */
  onApplied(): void {
    const applied = this.applied();
    while (this.answered.length > 0 && (this.answered[0].index ?? Infinity) <= applied) {
      for (const r of this.answered.shift()!.readers) r.resolve();
    }
  }

  failAll(error: Error): void {
    const rounds = [...(this.current ? [this.current] : []), ...this.answered.splice(0)];
    this.current = undefined;
    for (const r of [...rounds.flatMap((x) => x.readers), ...this.next.splice(0)]) r.reject(error);
  }

  close(): void {
    clearInterval(this.timer);
    this.failAll(Errors.stopped());
  }

  private startRound(): void {
    if (this.current || this.next.length === 0) return;
    const now = Date.now();
    this.current = {
      ctx: randomBytes(READ_CONTEXT_BYTES),
      readers: this.next.splice(0),
      sentAt: now,
      deadline: now + READ_INDEX_TIMEOUT_MS,
    };
    this.send(this.current);
    this.timer ??= setInterval(() => this.retry(), READ_INDEX_RETRY_MS);
  }

  private send(round: Round): void {
    try {
      round.sentAt = Date.now();
      this.request(round.ctx);
    } catch {
      // No leader yet: the retry timer asks again until the deadline.
    }
  }

  private retry(): void {
    const round = this.current;
    if (!round) {
      if (this.answered.length === 0 && this.next.length === 0) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
      return;
    }
    if (Date.now() >= round.deadline) {
      this.current = undefined;
      for (const r of round.readers) r.reject(Errors.timeout());
      this.startRound();
      return;
    }
    if (Date.now() - round.sentAt >= READ_INDEX_RETRY_MS) this.send(round);
  }
}
