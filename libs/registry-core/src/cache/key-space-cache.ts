import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT_PREFIX } from '../keys';
import { WATCH_BACKLOG_MAX_EVENTS } from '../limits';
import type { KeyEvent, RegistryStore, StoredKey, WatchHandle } from '../store/registry-store';

export type CacheState = 'starting' | 'synced' | 'resyncing' | 'stopped';

export interface CacheListener {
  /** Changes, in revision order, already applied to the cache. */
  onEvents(events: readonly KeyEvent[]): void;
  /** The cache lost its watch and reloaded: history before now is gone, listeners must resync. */
  onReset(): void;
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
        await sleep(RESYNC_BACKOFF_MS[Math.min(attempt, RESYNC_BACKOFF_MS.length - 1)]);
      }
    }
  }

  private async load(): Promise<void> {
    const generation = ++this.generation;
    const snapshot = await this.store.getPrefix(this.prefix);
    if (generation !== this.generation || this.stateValue === 'stopped') return;
    this.groups.clear();
    for (const kv of snapshot.kvs) this.setKey(kv);
    this.revisionValue = snapshot.revision;
    this.backlog = [];
    this.backlogFloor = snapshot.revision;
    this.watch = await this.store.watchPrefix(this.prefix, snapshot.revision + 1, {
      onEvents: (events) => {
        if (generation === this.generation) this.apply(events);
      },
      onError: () => {
        if (generation === this.generation) void this.resync();
      },
    });
    this.stateValue = 'synced';
    this.releaseWaiters();
  }

  private async resync(): Promise<void> {
    if (this.stateValue === 'stopped' || this.stateValue === 'resyncing') return;
    this.stateValue = 'resyncing';
    const old = this.watch;
    this.watch = undefined;
    void old?.close().catch(() => undefined);
    for (const listener of this.listeners) listener.onReset();
    for (let attempt = 0; this.stateValue === 'resyncing'; attempt++) {
      try {
        await this.load();
        return;
      } catch {
        await sleep(RESYNC_BACKOFF_MS[Math.min(attempt, RESYNC_BACKOFF_MS.length - 1)]);
      }
    }
  }

  private setKey(kv: StoredKey): void {
    const group = groupOf(kv.key);
    let members = this.groups.get(group);
    if (!members) this.groups.set(group, (members = new Map()));
    members.set(kv.key, kv);
  }

  private deleteKey(key: string): void {
    const group = groupOf(key);
    const members = this.groups.get(group);
    if (!members) return;
    members.delete(key);
    if (members.size === 0) this.groups.delete(group);
  }

  private apply(events: KeyEvent[]): void {
    for (const event of events) {
      // A watch that reconnected may repeat what it already delivered.
      if (event.revision < this.revisionValue) continue;
      if (event.type === 'PUT' && event.kv) this.setKey(event.kv);
      else this.deleteKey(event.key);
      this.backlog.push(event);
      this.revisionValue = Math.max(this.revisionValue, event.revision);
    }
    if (this.backlog.length > this.backlogMaxEvents) {
      const dropped = this.backlog.splice(0, this.backlog.length - this.backlogMaxEvents);
      this.backlogFloor = dropped[dropped.length - 1].revision;
      // Changes of one revision must stay together: drop the rest of a split revision too.
      while (this.backlog.length > 0 && this.backlog[0].revision === this.backlogFloor) this.backlog.shift();
    }
    for (const listener of this.listeners) listener.onEvents(events);
    this.releaseWaiters();
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
