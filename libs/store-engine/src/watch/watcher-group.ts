/*
 * The synced watchers, found by key: a map for watchers of one key, a list for range watchers
 * (etcd keeps those in an interval tree; a list is enough while range watchers are few).
 */
import type { Watcher } from './watcher';

export class WatcherGroup {
  private readonly byKey = new Map<string, Set<Watcher>>();
  private readonly ranges = new Set<Watcher>();

  add(w: Watcher): void {
    if (w.interval.kind === 'single') {
      let set = this.byKey.get(w.interval.key);
      if (!set) this.byKey.set(w.interval.key, (set = new Set()));
      set.add(w);
    } else {
      this.ranges.add(w);
    }
  }

  delete(w: Watcher): void {
    if (w.interval.kind === 'single') {
      const set = this.byKey.get(w.interval.key);
      set?.delete(w);
      if (set?.size === 0) this.byKey.delete(w.interval.key);
    } else {
      this.ranges.delete(w);
    }
  }

  /** Watchers interested in this key. */
  *watchersOf(key: Buffer): Generator<Watcher> {
    const set = this.byKey.get(key.toString('latin1'));
    if (set) yield* set;
    for (const w of this.ranges) if (w.matches(key)) yield w;
  }

  get size(): number {
    let n = this.ranges.size;
    for (const set of this.byKey.values()) n += set.size;
    return n;
  }
}
