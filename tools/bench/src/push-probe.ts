import { nowMs } from './stats';

const PUSH_TIMEOUT_MS = 15_000;

/**
 * Times one change's arrival at many watchers: arm() with a marker (the new instance's id,
 * the key written), then every watcher reports what it receives with seen(); the round ends
 * when each watcher has seen the marker once.
 */
export class PushProbe {
  private marker: string | undefined;
  private started = 0;
  private arrivals: number[] = [];
  private got: Uint8Array;
  private remaining = 0;
  private done: (() => void) | undefined;

  constructor(readonly watchers: number) {
    this.got = new Uint8Array(watchers);
  }

  /** Runs `change` and resolves with each watcher's delay in ms (from just before the change). */
  async round(marker: string, change: () => Promise<void>): Promise<number[]> {
    this.marker = marker;
    this.arrivals = [];
    this.got.fill(0);
    this.remaining = this.watchers;
    const all = new Promise<void>((resolve) => (this.done = resolve));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `${this.remaining} of ${this.watchers} watchers did not see ${marker} within ${PUSH_TIMEOUT_MS} ms`,
            ),
          ),
        PUSH_TIMEOUT_MS,
      );
    });
    this.started = nowMs();
    try {
      await Promise.race([Promise.all([change(), all]), timeout]);
    } finally {
      clearTimeout(timer);
      this.marker = undefined;
    }
    return this.arrivals;
  }

  /** Watcher `index` received `text` (an event's data, a key). */
  seen(index: number, text: string): void {
    if (this.marker === undefined || this.got[index] === 1 || !text.includes(this.marker)) return;
    this.got[index] = 1;
    this.arrivals.push(nowMs() - this.started);
    if (--this.remaining === 0) this.done?.();
  }
}
