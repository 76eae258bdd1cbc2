import { Errors } from '../grpc/errors';

/** How long a proposal may wait to be committed and applied before the caller hears a timeout. */
export const PROPOSAL_TIMEOUT_MS = 7_000;

interface Waiter {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** Callers waiting for their proposal to be applied, by request id (etcd's wait.Wait). */
export class ProposalWaits {
  private readonly waiting = new Map<string, Waiter>();

  register<T>(id: string, timeoutMs = PROPOSAL_TIMEOUT_MS): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(Errors.timeout());
      }, timeoutMs);
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
    });
  }

  has(id: string): boolean {
    return this.waiting.has(id);
  }

  trigger(id: string, value: unknown): void {
    const w = this.waiting.get(id);
    if (!w) return;
    this.waiting.delete(id);
    clearTimeout(w.timer);
    w.resolve(value);
  }

  fail(id: string, error: Error): void {
    const w = this.waiting.get(id);
    if (!w) return;
    this.waiting.delete(id);
    clearTimeout(w.timer);
    w.reject(error);
  }

  get size(): number {
    return this.waiting.size;
  }

  failAll(error: Error): void {
    for (const id of [...this.waiting.keys()]) this.fail(id, error);
  }
}
