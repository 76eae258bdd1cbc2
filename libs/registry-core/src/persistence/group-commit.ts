interface Waiting<T> {
  item: T;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Group commit: items added while a commit is running (or in the same turn of the event loop)
 * are written together by the next commit, and each add() settles when the commit holding its
 * item has. Callers still wait for their item to be written, so nothing is acknowledged before
 * it is stored; under load they share one transaction instead of queueing for one each. Order
 * is kept: items are committed in the order they were added, one commit at a time. A commit
 * that fails is retried item by item, so each add() gets its own item's outcome.
 */
export class GroupCommit<T> {
  private queue: Waiting<T>[] = [];
  private running: Promise<void> | undefined;
  private scheduled = false;

  constructor(
    private readonly commit: (items: T[]) => Promise<void>,
    private readonly maxBatch: number,
  ) {}

  /** Settles once `item` is committed; rejects with the commit's error when its batch failed. */
  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Items added and not yet committed. */
  get pending(): number {
    return this.queue.length;
  }

  /** Resolves when every item added so far has been committed (or its commit failed). */
  async drain(): Promise<void> {
    while (this.running || this.queue.length > 0) {
      if (!this.running) this.start();
      await this.running;
    }
  }

  private schedule(): void {
    if (this.running || this.scheduled) return;
    // Wait for the rest of this turn, so that items added together share a commit.
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.running) this.start();
    });
  }

  private start(): void {
    if (this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.maxBatch);
    this.running = this.write(batch).finally(() => {
      this.running = undefined;
      if (this.queue.length > 0) this.start();
    });
  }

  private async write(batch: Waiting<T>[]): Promise<void> {
    try {
      await this.commit(batch.map((w) => w.item));
    } catch (error) {
      if (batch.length === 1) batch[0].reject(error);
      // A failed commit wrote nothing. Each item is tried alone, so that an item the store
      // refuses fails by itself rather than taking the items it was batched with along.
      else for (const w of batch) await this.write([w]);
      return;
    }
    for (const w of batch) w.resolve();
  }
}
