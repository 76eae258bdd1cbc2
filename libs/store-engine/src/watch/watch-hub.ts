/*
 * The watch hub (etcd's watchable_store.go). Watchers are in one of three states:
 *  - synced: caught up; each committed change is handed to them as it is published;
 *  - unsynced: behind (started in the past, or recovering); a catch-up pass reads their
 *    missing revisions from the backend, a bounded batch at a time, off the write path;
 *  - victim: their stream's queue was full; they wait for it to drain, then catch up as
 *    unsynced. Nothing is buffered for them meanwhile: the backend has it.
 * Every watcher keeps `minRev`, the next revision it has not seen, so whatever path its events
 * take, they arrive in order, once, whole revisions at a time, with nothing skipped.
 */
import { MVCC_ERR_COMPACTED } from '../errors';
import type { CommittedChange, MvccStore } from '../mvcc/kv-store';
import type { Event } from '../mvcc/types';
import { WatcherGroup } from './watcher-group';
import type { Watcher } from './watcher';
import { WatchStream, type WatchStreamOptions } from './watch-stream';

/** Most revisions one catch-up pass reads from the backend (etcd's watchBatchMaxRevs). */
export const WATCH_SYNC_BATCH_REVISIONS = 1000;
/** Most unsynced watchers served by one catch-up pass (etcd's maxWatchersPerSync). */
export const MAX_WATCHERS_PER_SYNC = 512;
/** How often watchers that asked for it get a progress notification (etcd: 10 minutes). */
export const WATCH_PROGRESS_NOTIFY_INTERVAL_MS = 10 * 60_000;

export interface WatchHubOptions {
  /** Run catch-up and progress timers (default true); tests may drive them by hand. */
  timers?: boolean;
  progressNotifyIntervalMs?: number;
  syncBatchRevisions?: number;
}

export class WatchHub {
  private readonly synced = new WatcherGroup();
  private readonly unsynced = new Set<Watcher>();
  private readonly victims = new Set<Watcher>();
  private readonly streams = new Set<WatchStream>();
  private syncTimer: NodeJS.Timeout | undefined;
  private progressTimer: NodeJS.Timeout | undefined;
  private syncScheduled = false;
  private closed = false;
  private readonly timers: boolean;
  private readonly syncBatchRevisions: number;

  constructor(
    private store: MvccStore,
    options: WatchHubOptions = {},
  ) {
    this.timers = options.timers ?? true;
    this.syncBatchRevisions = options.syncBatchRevisions ?? WATCH_SYNC_BATCH_REVISIONS;
    store.onCommit((change) => this.notify(change));
    if (this.timers) {
      this.progressTimer = setInterval(
        () => this.sendProgressNotifications(),
        options.progressNotifyIntervalMs ?? WATCH_PROGRESS_NOTIFY_INTERVAL_MS,
      );
      this.progressTimer.unref();
    }
  }

  get currentRevision(): number {
    return this.store.currentRevision;
  }

  newStream(options?: WatchStreamOptions): WatchStream {
    const stream = new WatchStream(this, options);
    this.streams.add(stream);
    return stream;
  }

  /** Counts by state, for metrics and tests. */
  stats(): { synced: number; unsynced: number; victims: number } {
    return { synced: this.synced.size, unsynced: this.unsynced.size, victims: this.victims.size };
  }

  /**
   * One catch-up pass: serves up to MAX_WATCHERS_PER_SYNC unsynced watchers from the backend.
   * Returns how many remain unsynced. Called by the timer; tests call it directly.
   */
  syncWatchers(): number {
    if (this.unsynced.size === 0) return 0;
    const current = this.store.currentRevision;
    const compacted = this.store.compactRevision;
    const chosen: Watcher[] = [];
    for (const w of this.unsynced) {
      if (chosen.length >= MAX_WATCHERS_PER_SYNC) break;
      if (w.minRev < compacted) {
        // Its history is gone: cancel it, telling the client from where it could resume.
        this.unsynced.delete(w);
        w.stream.dropWatcher(w, {
          watchId: w.id,
          canceled: true,
          compactRevision: compacted,
          cancelReason: MVCC_ERR_COMPACTED,
          revision: current,
          events: [],
        });
        continue;
      }
      if (w.minRev > current) {
        this.moveToSynced(w);
        continue;
      }
      if (w.stream.hasRoom) chosen.push(w);
      else this.makeVictim(w);
    }
    if (chosen.length > 0) this.catchUp(chosen, current);
    return this.unsynced.size;
  }

  /** Sends a progress notification to every synced watcher that asked for them and was idle. */
  sendProgressNotifications(): void {
    const current = this.store.currentRevision;
    for (const stream of this.streams) {
      for (const w of stream.activeWatchers()) {
        if (!w.progressNotify || w.state !== 'synced') continue;
        if (!w.sentSinceProgress) stream.pushProgress({ watchId: w.id, revision: current, events: [] });
        w.sentSinceProgress = false;
      }
    }
  }

  /**
   * The key space was replaced (a snapshot restore): every watcher has seen the old store up
   * to its current revision and catches up on the new one from there.
   */
  rebind(store: MvccStore): void {
    const seen = this.store.currentRevision;
    this.store = store;
    store.onCommit((change) => this.notify(change));
    for (const stream of this.streams) {
      for (const w of stream.activeWatchers()) {
        if (w.state === 'synced') {
          this.synced.delete(w);
          w.minRev = Math.max(w.minRev, seen + 1);
        }
        this.victims.delete(w);
        w.state = 'unsynced';
        this.unsynced.add(w);
      }
    }
    this.scheduleSync(0);
  }

  close(): void {
    this.closed = true;
    if (this.syncTimer) clearTimeout(this.syncTimer);
    if (this.progressTimer) clearInterval(this.progressTimer);
    for (const stream of [...this.streams]) stream.close();
  }

  // ---- used by WatchStream ----

  /** @internal */
  addWatcher(w: Watcher): void {
    if (w.minRev > this.store.currentRevision) this.moveToSynced(w);
    else {
      w.state = 'unsynced';
      this.unsynced.add(w);
      this.scheduleSync(0);
    }
  }

  /** @internal */
  removeWatcher(w: Watcher): void {
    if (w.state === 'synced') this.synced.delete(w);
    this.unsynced.delete(w);
    this.victims.delete(w);
  }

  /** @internal */
  removeStream(stream: WatchStream): void {
    this.streams.delete(stream);
  }

  /** @internal The stream's queue drained below its bound: its victims may catch up now. */
  streamHasRoom(stream: WatchStream): void {
    let moved = false;
    for (const w of this.victims) {
      if (w.stream !== stream) continue;
      this.victims.delete(w);
      w.state = 'unsynced';
      this.unsynced.add(w);
      moved = true;
    }
    if (moved) this.scheduleSync(0);
  }

  // ---- internals ----

  private moveToSynced(w: Watcher): void {
    this.unsynced.delete(w);
    this.victims.delete(w);
    w.state = 'synced';
    this.synced.add(w);
  }

  private makeVictim(w: Watcher): void {
    if (w.state === 'synced') this.synced.delete(w);
    this.unsynced.delete(w);
    w.state = 'victim';
    this.victims.add(w);
  }

  /** A committed change: hand it to the synced watchers it concerns. */
  private notify(change: CommittedChange): void {
    const perWatcher = new Map<Watcher, Event[]>();
    for (const event of change.events) {
      for (const w of this.synced.watchersOf(event.kv.key)) {
        if (change.revision < w.minRev) continue;
        let events = perWatcher.get(w);
        if (!events) perWatcher.set(w, (events = []));
        events.push(event);
      }
    }
    for (const [w, events] of perWatcher) {
      if (!w.stream.hasRoom) {
        // The client is slow: stop pushing to it; it will catch up from the backend.
        w.minRev = change.revision;
        this.makeVictim(w);
        continue;
      }
      w.minRev = change.revision + 1;
      this.send(w, events, change.revision);
    }
  }

  private send(w: Watcher, events: Event[], revision: number): void {
    const delivered = events
      .filter((e) => w.accepts(e))
      .map((e) => (w.prevKv ? { ...e, prevKv: this.store.previousKv(e.kv.key, e.kv.modRevision) } : e));
    if (delivered.length === 0) return;
    w.sentSinceProgress = true;
    w.stream.pushEvents(w, { watchId: w.id, revision, events: delivered });
  }

  private catchUp(chosen: Watcher[], current: number): void {
    const from = Math.min(...chosen.map((w) => w.minRev));
    const to = Math.min(current, from + this.syncBatchRevisions - 1);
    const events = [...this.store.eventsBetween(from, to)];
    for (const w of chosen) {
      // Started after this batch: its turn comes in a later pass.
      if (w.minRev > to) continue;
      const mine = events
        .filter((e) => e.revision.main >= w.minRev && w.matches(e.kv.key))
        .map(({ type, kv }): Event => ({ type, kv }));
      w.minRev = to + 1;
      if (mine.length > 0) this.send(w, mine, to);
      if (w.minRev > current) this.moveToSynced(w);
    }
  }

  private scheduleSync(delayMs: number): void {
    if (!this.timers || this.closed || this.syncScheduled) return;
    this.syncScheduled = true;
    this.syncTimer = setTimeout(() => {
      this.syncScheduled = false;
      // Watchers still unsynced have room and a backlog: go on after letting writers in.
      if (this.syncWatchers() > 0) this.scheduleSync(0);
    }, delayMs);
    this.syncTimer.unref();
  }
}
