/*
 * The history of one key, as etcd's key_index.go: a list of generations. A generation runs
 * from the put that created the key to the tombstone that deleted it; the last generation is
 * the live one (empty after a delete). Example: put@1, put@2, delete@3, put@4 gives
 *   generations: {created 1, ver 3, revs [1, 2, 3(tombstone)]}, {created 4, ver 1, revs [4]}
 * A read at revision r finds the generation alive at r and the last revision <= r in it.
 */
import { compareRevisions, type Revision } from './revision';

interface Generation {
  /** Number of revisions in the generation, tombstone included: the key's version. */
  version: number;
  created: Revision | undefined;
  revs: Revision[];
}

export interface KeyAtRevision {
  modified: Revision;
  created: Revision;
  version: number;
}

function emptyGeneration(): Generation {
  return { version: 0, created: undefined, revs: [] };
}

export class KeyIndex {
  private modified: Revision = { main: 0, sub: 0 };
  private generations: Generation[] = [emptyGeneration()];

  constructor(readonly key: string) {}

  /** A live key with one generation holding the one revision `modified` (see singleRevision()). */
  static single(key: string, modified: Revision, created: Revision, version: number): KeyIndex {
    const ki = new KeyIndex(key);
    ki.generations = [{ version, created, revs: [modified] }];
    ki.modified = modified;
    return ki;
  }

  put(rev: Revision): void {
    if (compareRevisions(rev, this.modified) <= 0) {
      throw new Error(
        `mvcc: put of ${this.key} at ${rev.main}.${rev.sub} is not after ${this.modified.main}`,
      );
    }
    const g = this.generations[this.generations.length - 1];
    if (g.revs.length === 0) {
      g.created = rev;
      // A literal, not push(): push on an empty array reserves 17 slots.
      g.revs = [rev];
    } else {
      g.revs.push(rev);
    }
    g.version++;
    this.modified = rev;
  }

  /**
   * Replays a stored revision at restart. After a compaction the first stored revision of a
   * generation is not its first put, so the generation's creation and version come from the
   * stored kv (etcd's keyIndex.restore).
   */
  restorePut(rev: Revision, created: Revision, version: number): void {
    const g = this.generations[this.generations.length - 1];
    if (g.revs.length === 0) {
      this.put(rev);
      g.created = created;
      g.version = version;
      return;
    }
    this.put(rev);
  }

  /** Ends the live generation; a tombstone on a key that is not alive is a caller bug. */
  tombstone(rev: Revision): void {
    if (this.generations[this.generations.length - 1].revs.length === 0) {
      throw new Error(`mvcc: tombstone on deleted key ${this.key}`);
    }
    this.put(rev);
    this.generations.push(emptyGeneration());
  }

  /** The key's state at main revision `atRev`, or undefined when it did not exist then. */
  get(atRev: number): KeyAtRevision | undefined {
    const g = this.findGeneration(atRev);
    if (!g) return undefined;
    for (let n = g.revs.length - 1; n >= 0; n--) {
      if (g.revs[n].main <= atRev) {
        return { modified: g.revs[n], created: g.created!, version: g.version - (g.revs.length - n - 1) };
      }
    }
    return undefined;
  }

  /** Whether the key is alive at `atRev` (a read there would find it); allocates nothing. */
  aliveAt(atRev: number): boolean {
    // findGeneration only returns a generation with a revision <= atRev.
    return this.findGeneration(atRev) !== undefined;
  }

  /**
   * The key's state when it is alive with one generation holding one revision, the state
   * TreeIndex keeps packed (KeyIndex.single() builds it back); undefined otherwise.
   */
  singleRevision(): KeyAtRevision | undefined {
    if (this.generations.length !== 1) return undefined;
    const g = this.generations[0];
    if (g.revs.length !== 1) return undefined;
    return { modified: g.revs[0], created: g.created!, version: g.version };
  }

  get isEmpty(): boolean {
    return this.generations.length === 1 && this.generations[0].revs.length === 0;
  }

  get lastModified(): Revision {
    return this.modified;
  }

  /**
   * Drops history at or before `atRev`, keeping the newest revision <= atRev of a live
   * generation (reads at atRev still need it) and adding it to `keep`; the backend then deletes
   * every other revision <= atRev. Example: put@1, put@2, delete@3, put@4, compact(3) leaves
   * {created 4, revs [4]}; compact(2) would leave {revs [2, 3]}, {revs [4]} and keep 2.
   * (The store asks hasRevision() instead of collecting `keep`; tests use it.)
   */
  compact(atRev: number, keep?: Set<string>): void {
    let genIdx = 0;
    // Skip the generations whose tombstone is at or before atRev: nothing in them is readable.
    while (genIdx < this.generations.length - 1) {
      const g = this.generations[genIdx];
      if (g.revs[g.revs.length - 1].main > atRev) break;
      genIdx++;
    }
    const g = this.generations[genIdx];
    let revIndex = -1;
    for (let n = g.revs.length - 1; n >= 0; n--) {
      if (g.revs[n].main <= atRev) {
        keep?.add(revisionKey(g.revs[n]));
        revIndex = n;
        break;
      }
    }
    if (g.revs.length > 0) {
      if (revIndex !== -1) g.revs = g.revs.slice(revIndex);
      // A generation reduced to its tombstone holds nothing readable.
      if (g.revs.length === 1 && genIdx !== this.generations.length - 1) {
        keep?.delete(revisionKey(g.revs[0]));
        genIdx++;
      }
    }
    this.generations = this.generations.slice(genIdx);
  }

  /** Whether the key's history still holds this revision. */
  hasRevision(rev: Revision): boolean {
    for (const g of this.generations) {
      for (const r of g.revs) {
        if (r.main > rev.main) break;
        if (r.main === rev.main && r.sub === rev.sub) return true;
      }
    }
    return false;
  }

  /** Every revision of the key from `fromMain` on (for restoring leases and for tests). */
  revisionsSince(fromMain: number): Revision[] {
    const out: Revision[] = [];
    for (const g of this.generations) for (const r of g.revs) if (r.main >= fromMain) out.push(r);
    return out;
  }

  private findGeneration(rev: number): Generation | undefined {
    const last = this.generations.length - 1;
    for (let cg = last; cg >= 0; cg--) {
      const g = this.generations[cg];
      if (g.revs.length === 0) continue;
      // A finished generation whose tombstone is at or before rev: the key was deleted then.
      if (cg !== last && g.revs[g.revs.length - 1].main <= rev) return undefined;
      if (g.revs[0].main <= rev) return g;
    }
    return undefined;
  }
}

/** A revision as a Map/Set key. */
export function revisionKey(rev: Revision): string {
  return `${rev.main}.${rev.sub}`;
}
