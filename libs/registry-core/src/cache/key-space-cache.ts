import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT_PREFIX } from '../keys';
import { WATCH_BACKLOG_MAX_EVENTS } from '../limits';
import type { KeyEvent, RegistryStore, StoredKey, WatchHandle } from '../store/registry-store';

/**
 * starting: nothing loaded yet; warm: loaded from the shared L2 copy, not yet from the store;
 * synced: loaded from the store and following its watch; resyncing: the watch broke, the last
 * data is still served while the cache re-lists; stopped.
 */
export type CacheState = 'starting' | 'warm' | 'synced' | 'resyncing' | 'stopped';

/** Groups of keys (a prefix ending in '/' and the keys directly under it). */
export interface GroupSnapshot {
  group: string;
  kvs: StoredKey[];
}

/** Where the cache publishes what it holds (the L2 copy shared by registry nodes). */
export interface CachePublisher {
  /** Fire and forget: the groups as they are at `revision` (an empty list: the group is gone). */
  publish(groups: GroupSnapshot[], revision: number): void;
}

export interface CacheListener {
  /** Changes, in revision order, already applied to the cache. */
  onEvents(events: readonly KeyEvent[]): void;
}

const RESYNC_BACKOFF_MS = [100, 200, 500, 1_000, 2_000];

/** The group of a key is everything up to its last '/': for an instance, its service prefix. */
const groupOf = (key: string): string => key.slice(0, key.lastIndexOf('/') + 1);

/**
 * The registry's L1 cache: an in-memory mirror of every key under /skyroad/, loaded with one
 * range read and kept current by one watch from the revision after it. Reads and watch
 * snapshots are served from here, so they cost the store nothing, and they say which store
 * revision they reflect. A bounded backlog of recent changes lets a watch resume without a
 * snapshot. Writes go to the store; `catchUp()` makes this node read its own writes.
 */
export class KeySpaceCache {
  private readonly groups = new Map<string, Map<string, StoredKey>>();
  /**
   * A stamp per group, new (from `lastStamp`) whenever one of its keys changes; a group without
   * keys has none (stamp 0). Answers built from a group are still right while its stamp is.
   */
  private readonly stamps = new Map<string, number>();
  private lastStamp = 0;
  private readonly listeners = new Set<CacheListener>();
  private backlog: KeyEvent[] = [];
  /** Every change with a revision above this is in the backlog. */
  private backlogFloor = 0;
  private revisionValue = 0;
  private lastWriteRevision = 0;
  private waiters: { revision: number; resolve: () => void }[] = [];
  private watch: WatchHandle | undefined;
  private stateValue: CacheState = 'starting';
  private generation = 0;
  /** Revision ranges (from, to] a re-list jumped over: a resume from inside one needs a snapshot. */
  private relistGaps: { from: number; to: number }[] = [];
  private publisher: CachePublisher | undefined;
  private relists = 0;
  private loadedEpoch = 0;

  constructor(
    private readonly store: RegistryStore,
    private readonly prefix: string = ROOT_PREFIX,
    private readonly backlogMaxEvents: number = WATCH_BACKLOG_MAX_EVENTS,
  ) {}

  get state(): CacheState {
    return this.stateValue;
  }

  /** The store revision the cache reflects. */
  get revision(): number {
    return this.revisionValue;
  }

  /** How many times the cache re-listed after losing its watch (compaction, store switch). */
  get relistCount(): number {
    return this.relists;
  }

  /** Whether the cache has data to answer with (even when it is not following the store now). */
  get serving(): boolean {
    return this.stateValue === 'synced' || this.stateValue === 'resyncing' || this.stateValue === 'warm';
  }

  setPublisher(publisher: CachePublisher | undefined): void {
    this.publisher = publisher;
  }

  /**
   * Fills a cache that has not loaded from the store yet with a copy from L2, so that a node
   * answers discovery before (or without) reaching its store. The store's load replaces it.
   */
  warm(groups: readonly GroupSnapshot[], revision: number): void {
    if (this.stateValue !== 'starting') return;
    for (const { kvs } of groups) for (const kv of kvs) this.setKey(kv);
    this.revisionValue = revision;
    this.backlogFloor = revision;
    this.stateValue = 'warm';
  }

  /**
   * A change accepted while the store is unreachable (degraded mode): applied to what the cache
   * serves and sent to listeners at the current revision; the store's view replaces it on replay.
   */
  applyLocal(change: { type: 'PUT'; kv: StoredKey } | { type: 'DELETE'; key: string }): void {
    const key = change.type === 'PUT' ? change.kv.key : change.key;
    const prev = this.get(key);
    if (change.type === 'DELETE' && !prev) return;
    const event: KeyEvent =
      change.type === 'PUT'
        ? { type: 'PUT', key, revision: this.revisionValue, kv: change.kv, prev }
        : { type: 'DELETE', key, revision: this.revisionValue, prev };
    if (change.type === 'PUT') this.setKey(change.kv);
    else this.deleteKey(key);
    for (const listener of this.listeners) listener.onEvents([event]);
  }

  /** Re-lists from the store (after a replay, or when the store was switched), keeping what it serves meanwhile. */
  relist(): void {
    if (this.stateValue === 'synced') void this.resync();
  }

  /** Whether the cache holds any key of `group`. */
  hasGroup(group: string): boolean {
    return this.groups.has(group);
  }

  get size(): number {
    let n = 0;
    for (const group of this.groups.values()) n += group.size;
    return n;
  }

  /** Loads and starts watching, retrying for up to `timeoutMs` while the store does not answer. */
  async start(timeoutMs = 0): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.load();
        return;
      } catch (error) {
        if (Date.now() >= deadline || this.stateValue === 'stopped') throw error;
        await sleep(RESYNC_BACKOFF_MS[Math.min(attempt, RESYNC_BACKOFF_MS.length - 1)], undefined, {
          ref: false,
        });
      }
    }
  }

  private async load(): Promise<void> {
    const generation = ++this.generation;
    const snapshot = await this.store.getPrefix(this.prefix);
    if (generation !== this.generation || this.stateValue === 'stopped') return;
    // A node never answers older data than it answered before (within one store: a switch to
    // another cluster starts another sequence of revisions).
    const epoch = this.store.epoch ?? 0;
    const switched = epoch !== this.loadedEpoch;
    if (this.stateValue !== 'warm' && !switched && snapshot.revision < this.revisionValue) {
      throw new Error(
        `store answered revision ${snapshot.revision}, behind the cache's ${this.revisionValue}`,
      );
    }
    const watch = await this.store.watchPrefix(this.prefix, snapshot.revision + 1, {
      onEvents: (events) => {
        if (generation === this.generation) this.apply(events);
      },
      onError: () => {
        if (generation === this.generation) void this.resync();
      },
    });
    // stop() may have run while the watch was being created.
    if (generation !== this.generation || (this.stateValue as CacheState) === 'stopped') {
      void watch.close().catch(() => undefined);
      return;
    }
    const relist = this.stateValue === 'resyncing' || this.stateValue === 'warm';
    const changes = relist ? this.diff(snapshot.kvs, snapshot.revision) : [];
    const from = this.revisionValue;
    this.groups.clear();
    this.stamps.clear();
    for (const kv of snapshot.kvs) this.setKey(kv);
    this.watch = watch;
    this.loadedEpoch = epoch;
    if (relist) {
      // The re-list is served as the changes between the old and the new view, all at the new
      // revision, so streams go on without a gap; only a resume from inside the jump needs a snapshot.
      this.relists++;
      this.revisionValue = snapshot.revision;
      if (snapshot.revision > from && !switched) this.relistGaps.push({ from, to: snapshot.revision });
      else {
        // Warm data from L2 was ahead of this store, or the store was switched: older history
        // cannot be served from here.
        this.backlog = [];
        this.relistGaps = [];
        this.backlogFloor = snapshot.revision;
      }
      this.backlog.push(...changes);
      this.trimBacklog();
      this.stateValue = 'synced';
      if (changes.length > 0) for (const listener of this.listeners) listener.onEvents(changes);
      this.publishAll();
    } else {
      this.revisionValue = snapshot.revision;
      this.backlog = [];
      this.backlogFloor = snapshot.revision;
      this.stateValue = 'synced';
      this.publishAll();
    }
    this.releaseWaiters();
  }

  /** What changed between the cache's keys and `kvs`, as events at `revision`. */
  private diff(kvs: readonly StoredKey[], revision: number): KeyEvent[] {
    const events: KeyEvent[] = [];
    const seen = new Set<string>();
    for (const kv of kvs) {
      seen.add(kv.key);
      const prev = this.get(kv.key);
      if (!prev || prev.modRevision !== kv.modRevision || prev.value !== kv.value)
        events.push({ type: 'PUT', key: kv.key, revision, kv, prev });
    }
    for (const members of this.groups.values())
      for (const prev of members.values())
        if (!seen.has(prev.key)) events.push({ type: 'DELETE', key: prev.key, revision, prev });
    return events;
  }

  private publishAll(): void {
    if (!this.publisher) return;
    const groups = [...this.groups.entries()].map(([group, members]) => ({
      group,
      kvs: [...members.values()],
    }));
    this.publisher.publish(groups, this.revisionValue);
  }

  private async resync(): Promise<void> {
    if (this.stateValue === 'stopped' || this.stateValue === 'resyncing') return;
    this.stateValue = 'resyncing';
    const old = this.watch;
    this.watch = undefined;
    void old?.close().catch(() => undefined);
    for (let attempt = 0; this.stateValue === 'resyncing'; attempt++) {
      try {
        await this.load();
        return;
      } catch {
        await sleep(RESYNC_BACKOFF_MS[Math.min(attempt, RESYNC_BACKOFF_MS.length - 1)], undefined, {
          ref: false,
        });
      }
    }
  }

  private setKey(kv: StoredKey): void {
    const group = groupOf(kv.key);
    let members = this.groups.get(group);
    if (!members) this.groups.set(group, (members = new Map()));
    members.set(kv.key, kv);
    this.stamps.set(group, ++this.lastStamp);
  }

  private deleteKey(key: string): void {
    const group = groupOf(key);
    const members = this.groups.get(group);
    if (!members) return;
    if (!members.delete(key)) return;
    if (members.size === 0) {
      this.groups.delete(group);
      this.stamps.delete(group);
    } else this.stamps.set(group, ++this.lastStamp);
  }

  private apply(events: KeyEvent[]): void {
    const applied: KeyEvent[] = [];
    const touched = new Set<string>();
    for (const event of events) {
      // A watch that reconnected may repeat what it already delivered.
      if (event.revision <= this.revisionValue && this.backlogHas(event)) continue;
      if (event.revision < this.revisionValue) continue;
      if (event.type === 'PUT' && event.kv) this.setKey(event.kv);
      else this.deleteKey(event.key);
      this.backlog.push(event);
      applied.push(event);
      touched.add(groupOf(event.key));
      this.revisionValue = Math.max(this.revisionValue, event.revision);
    }
    if (applied.length === 0) return;
    this.trimBacklog();
    for (const listener of this.listeners) listener.onEvents(applied);
    if (this.publisher) {
      const groups = [...touched].map((group) => ({ group, kvs: this.list(group) }));
      this.publisher.publish(groups, this.revisionValue);
    }
    this.releaseWaiters();
  }

  private backlogHas(event: KeyEvent): boolean {
    for (let i = this.backlog.length - 1; i >= 0 && this.backlog[i].revision >= event.revision; i--) {
      const seen = this.backlog[i];
      if (seen.revision === event.revision && seen.key === event.key && seen.type === event.type) return true;
    }
    return false;
  }

  private trimBacklog(): void {
    if (this.backlog.length > this.backlogMaxEvents) {
      const dropped = this.backlog.splice(0, this.backlog.length - this.backlogMaxEvents);
      this.backlogFloor = dropped[dropped.length - 1].revision;
      // Changes of one revision must stay together: drop the rest of a split revision too.
      while (this.backlog.length > 0 && this.backlog[0].revision === this.backlogFloor) this.backlog.shift();
    }
    this.relistGaps = this.relistGaps.filter((gap) => gap.to > this.backlogFloor);
  }

  private releaseWaiters(): void {
    if (this.stateValue !== 'synced') return;
    const ready = this.waiters.filter((w) => w.revision <= this.revisionValue);
    this.waiters = this.waiters.filter((w) => w.revision > this.revisionValue);
    for (const waiter of ready) waiter.resolve();
  }

  get(key: string): StoredKey | undefined {
    return this.groups.get(groupOf(key))?.get(key);
  }

  /**
   * Changes whenever a key directly under `group` is put or deleted (0 while the group has no
   * key), so that what was built from `list(group)` can be kept until then.
   */
  groupStamp(group: string): number {
    return this.stamps.get(group) ?? 0;
  }

  /** Keys directly under `group` (a prefix ending in '/'). */
  list(group: string): StoredKey[] {
    return [...(this.groups.get(group)?.values() ?? [])];
  }

  /** Groups (prefixes ending in '/') that start with `prefix` and hold at least one key. */
  groupsUnder(prefix: string): string[] {
    return [...this.groups.keys()].filter((g) => g.startsWith(prefix));
  }

  /** Changes after `revision`, or undefined when the backlog no longer reaches back that far. */
  eventsAfter(revision: number): KeyEvent[] | undefined {
    if (revision < this.backlogFloor || revision > this.revisionValue) return undefined;
    if (this.relistGaps.some((gap) => revision > gap.from && revision < gap.to)) return undefined;
    return this.backlog.filter((e) => e.revision > revision);
  }

  subscribe(listener: CacheListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Remembers a write made by this node, so that `catchUp()` waits until the cache shows it. */
  noteWrite(revision: number): void {
    this.lastWriteRevision = Math.max(this.lastWriteRevision, revision);
  }

  /** Waits (bounded) until the cache reflects `revision`; answers whether it does. */
  waitForRevision(revision: number, timeoutMs: number): Promise<boolean> {
    if (this.stateValue === 'synced' && this.revisionValue >= revision) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = { revision, resolve: () => (clearTimeout(timer), resolve(true)) };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Read-your-writes for this node: waits until the cache shows this node's last write. */
  catchUp(timeoutMs: number): Promise<boolean> {
    return this.waitForRevision(this.lastWriteRevision, timeoutMs);
  }

  async stop(): Promise<void> {
    this.stateValue = 'stopped';
    this.generation++;
    const watch = this.watch;
    this.watch = undefined;
    await watch?.close().catch(() => undefined);
    for (const waiter of this.waiters.splice(0)) waiter.resolve();
  }
}
