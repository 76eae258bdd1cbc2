import { intervalContains, type KeyInterval } from '../bytes';
import { EventType, type Event } from '../mvcc/types';
import type { WatchStream } from './watch-stream';
import { WatchFilterType } from './types';

export type WatcherState = 'synced' | 'unsynced' | 'victim';

/** One watcher: what it watches and the next revision it has not been sent yet. */
export class Watcher {
  state: WatcherState = 'unsynced';
  /** Sent a response since the last progress notification. */
  sentSinceProgress = false;

  constructor(
    readonly id: number,
    readonly stream: WatchStream,
    readonly interval: KeyInterval,
    /** Every change at a revision below this has been delivered (or did not concern it). */
    public minRev: number,
    readonly prevKv: boolean,
    readonly filters: readonly WatchFilterType[],
    readonly progressNotify: boolean,
    readonly fragment: boolean,
  ) {}

  matches(key: Buffer): boolean {
    return intervalContains(this.interval, key.toString('latin1'));
  }

  /** Whether the watcher's filters let this event through. */
  accepts(event: Event): boolean {
    if (event.type === EventType.PUT && this.filters.includes(WatchFilterType.NOPUT)) return false;
    if (event.type === EventType.DELETE && this.filters.includes(WatchFilterType.NODELETE)) return false;
    return true;
  }
}
