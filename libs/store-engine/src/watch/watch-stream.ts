/*
 * One client watch stream (a gRPC Watch call): its watchers and a bounded queue of responses
 * the server takes with next(). When the queue is full, the hub stops handing it events (its
 * watchers become victims and catch up from the backend once the queue drains), so one slow
 * client costs memory bounded by WATCH_STREAM_BUFFER_RESPONSES, never the writers' time.
 */
import { keyInterval } from '../bytes';
import { EngineError } from '../errors';
import type { WatchHub } from './watch-hub';
import { Watcher } from './watcher';
import { STREAM_PROGRESS_WATCH_ID, type WatchCreateRequest, type WatchResponse } from './types';
import { fragmentResponse } from './fragment';

/** Event responses a stream holds before its watchers become victims (etcd's chanBufLen). */
export const WATCH_STREAM_BUFFER_RESPONSES = 128;
/** Largest response before it is fragmented, for watchers that asked for fragments (1.5 MiB). */
export const DEFAULT_WATCH_FRAGMENT_BYTES = 1.5 * 1024 * 1024;

export const ERR_WATCHER_DUPLICATE_ID = 'mvcc: duplicate watch ID provided on the WatchStream';

export interface WatchStreamOptions {
  bufferResponses?: number;
  fragmentBytes?: number;
}

export class WatchStream {
  private readonly queue: WatchResponse[] = [];
  /** Event responses in the queue (control responses do not count against the bound). */
  private eventResponses = 0;
  private readonly watchers = new Map<number, Watcher>();
  private nextWatchId = 0;
  private waiting: ((response: WatchResponse | undefined) => void) | undefined;
  private closed = false;
  readonly bufferResponses: number;
  readonly fragmentBytes: number;

  constructor(
    private readonly hub: WatchHub,
    options: WatchStreamOptions = {},
  ) {
    this.bufferResponses = options.bufferResponses ?? WATCH_STREAM_BUFFER_RESPONSES;
    this.fragmentBytes = options.fragmentBytes ?? DEFAULT_WATCH_FRAGMENT_BYTES;
  }

  /** Creates a watcher; its `created` response comes first on the stream. Returns its id. */
  watch(req: WatchCreateRequest): number {
    if (this.closed) throw new Error('watch: stream closed');
    let id = req.watchId ?? 0;
    if (id !== 0 && this.watchers.has(id)) throw new EngineError(ERR_WATCHER_DUPLICATE_ID);
    if (id === 0) {
      do id = ++this.nextWatchId;
      while (this.watchers.has(id));
    }
    const current = this.hub.currentRevision;
    const start = req.startRevision && req.startRevision > 0 ? req.startRevision : current + 1;
    const watcher = new Watcher(
      id,
      this,
      keyInterval(req.key, req.rangeEnd),
      start,
      req.prevKv ?? false,
      req.filters ?? [],
      req.progressNotify ?? false,
      req.fragment ?? false,
    );
    this.watchers.set(id, watcher);
    this.pushControl({ watchId: id, created: true, revision: current, events: [] });
    this.hub.addWatcher(watcher);
    return id;
  }

  /** Cancels a watcher; its `canceled` response follows anything already queued for it. */
  cancel(watchId: number): boolean {
    const watcher = this.watchers.get(watchId);
    if (!watcher) return false;
    this.watchers.delete(watchId);
    this.hub.removeWatcher(watcher);
    this.pushControl({ watchId, canceled: true, revision: this.hub.currentRevision, events: [] });
    return true;
  }

  /**
   * Asks for a progress notification: sent only to a synced watcher (as etcd does), and not
   * while the queue is full (a client asking faster than it reads gets the later one).
   */
  requestProgress(watchId: number): boolean {
    const watcher = this.watchers.get(watchId);
    if (!watcher || watcher.state !== 'synced') return false;
    return this.pushProgress({ watchId, revision: this.hub.currentRevision, events: [] });
  }

  /** A progress notification for the whole stream, only when every watcher in it is synced. */
  requestProgressAll(): boolean {
    for (const w of this.watchers.values()) if (w.state !== 'synced') return false;
    return this.pushProgress({
      watchId: STREAM_PROGRESS_WATCH_ID,
      revision: this.hub.currentRevision,
      events: [],
    });
  }

  /** The next response; resolves undefined once the stream is closed and drained. */
  next(): Promise<WatchResponse | undefined> {
    const ready = this.poll();
    if (ready || this.closed) return Promise.resolve(ready);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /** The next response if one is queued. */
  poll(): WatchResponse | undefined {
    const response = this.queue.shift();
    if (response && response.events.length > 0) {
      this.eventResponses--;
      if (this.eventResponses < this.bufferResponses) this.hub.streamHasRoom(this);
    }
    return response;
  }

  get pending(): number {
    return this.queue.length;
  }

  watcherIds(): number[] {
    return [...this.watchers.keys()];
  }

  /** @internal */
  activeWatchers(): Iterable<Watcher> {
    return this.watchers.values();
  }

  /** @internal Queues a progress notification unless the queue is full; returns whether it did. */
  pushProgress(response: WatchResponse): boolean {
    if (this.queue.length >= this.bufferResponses) return false;
    this.pushControl(response);
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const watcher of this.watchers.values()) this.hub.removeWatcher(watcher);
    this.watchers.clear();
    this.hub.removeStream(this);
    this.waiting?.(undefined);
    this.waiting = undefined;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<WatchResponse> {
    for (;;) {
      const response = await this.next();
      if (!response) return;
      yield response;
    }
  }

  // ---- used by the hub ----

  /** @internal */
  get hasRoom(): boolean {
    return !this.closed && this.eventResponses < this.bufferResponses;
  }

  /** @internal Queues an event response (fragmented if the watcher asked for it). */
  pushEvents(watcher: Watcher, response: WatchResponse): void {
    const parts = watcher.fragment ? fragmentResponse(response, this.fragmentBytes) : [response];
    for (const part of parts) {
      this.eventResponses++;
      this.deliver(part);
    }
  }

  /** @internal A watcher dropped by the hub (compacted): forget it. */
  dropWatcher(watcher: Watcher, response: WatchResponse): void {
    if (this.watchers.get(watcher.id) !== watcher) return;
    this.watchers.delete(watcher.id);
    this.pushControl(response);
  }

  private pushControl(response: WatchResponse): void {
    this.deliver(response);
  }

  private deliver(response: WatchResponse): void {
    if (this.closed) return;
    if (this.waiting && this.queue.length === 0) {
      const resolve = this.waiting;
      this.waiting = undefined;
      if (response.events.length > 0) this.eventResponses--;
      resolve(response);
      return;
    }
    this.queue.push(response);
  }
}
