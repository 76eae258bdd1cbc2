/*
 * The in-memory index from key to its history (etcd's index.go, a B-tree there). Here: a
 * Map for point lookups plus a sorted array of keys for ranges; keys enter on first put and
 * leave only when compaction empties their history, so inserts are rare next to reads.
 */
import { intervalContains, type KeyInterval } from '../bytes';
import { KeyIndex } from './key-index';
import type { Revision } from './revision';

export class TreeIndex {
  private readonly byKey = new Map<string, KeyIndex>();
  private sorted: string[] = [];

  get(key: string): KeyIndex | undefined {
    return this.byKey.get(key);
  }

  put(key: string, rev: Revision): void {
    this.getOrCreate(key).put(rev);
  }

  restorePut(key: string, rev: Revision, created: Revision, version: number): void {
    this.getOrCreate(key).restorePut(rev, created, version);
  }

  tombstone(key: string, rev: Revision): void {
    const ki = this.byKey.get(key);
    if (!ki) throw new Error(`mvcc: tombstone on unknown key`);
    ki.tombstone(rev);
  }

  /** Key indexes in the interval, in key order. */
  *visit(interval: KeyInterval): Generator<KeyIndex> {
    if (interval.kind === 'single') {
      const ki = this.byKey.get(interval.key);
      if (ki) yield ki;
      return;
    }
    for (let i = this.lowerBound(interval.start); i < this.sorted.length; i++) {
      const key = this.sorted[i];
      if (!intervalContains(interval, key)) return;
      yield this.byKey.get(key)!;
    }
  }

  /** Compacts every key at `atRev`; returns the revisions <= atRev that must stay in the backend. */
  compact(atRev: number): Set<string> {
    const keep = new Set<string>();
    let removed = false;
    for (const [key, ki] of this.byKey) {
      ki.compact(atRev, keep);
      if (ki.isEmpty) {
        this.byKey.delete(key);
        removed = true;
      }
    }
    if (removed) this.sorted = this.sorted.filter((key) => this.byKey.has(key));
    return keep;
  }

  get size(): number {
    return this.byKey.size;
  }

  private getOrCreate(key: string): KeyIndex {
    let ki = this.byKey.get(key);
    if (!ki) {
      ki = new KeyIndex(key);
      this.byKey.set(key, ki);
      this.sorted.splice(this.lowerBound(key), 0, key);
    }
    return ki;
  }

  private lowerBound(key: string): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid] < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
