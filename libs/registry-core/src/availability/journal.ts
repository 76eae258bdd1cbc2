import type { RedisL2Cache } from '../cache/redis-l2-cache';

/** A write accepted in degraded mode, to be replayed to the store. One per instance key: the last wins. */
export interface JournalEntry {
  op: 'register' | 'heartbeat' | 'deregister';
  /** The instance key. */
  key: string;
  /** The instance as it is to be stored (register; heartbeat: the value to re-create it with). */
  value?: string;
  ttl: number;
  /** When the registry accepted it (ISO-8601). */
  at: string;
}

export type JournalBackend = 'redis' | 'memory';

/**
 * Where degraded-mode writes wait for the store: in this node's memory always, and in Redis when
 * it answers (shared by every registry node, so all of them show it and any of them replays it;
 * the memory copy keeps this node's writes should Redis lose them).
 */
export class DegradedJournal {
  private readonly memory = new Map<string, JournalEntry>();
  private lastBackend: JournalBackend | undefined;

  constructor(private readonly redis: RedisL2Cache | undefined) {}

  /** Where the last write went; undefined before the first one. */
  get backend(): JournalBackend | undefined {
    return this.lastBackend;
  }

  get memorySize(): number {
    return this.memory.size;
  }

  async record(entry: JournalEntry): Promise<JournalBackend> {
    this.memory.set(entry.key, entry);
    const shared =
      this.redis !== undefined && (await this.redis.journalPut(entry.key, JSON.stringify(entry)));
    return (this.lastBackend = shared ? 'redis' : 'memory');
  }

  /** The entry pending for `key` here (memory) or in Redis. */
  async pending(key: string): Promise<JournalEntry | undefined> {
    return (await this.entries()).find((e) => e.key === key);
  }

  /** Every pending entry, the later one when a key is both in memory and in Redis. */
  async entries(): Promise<JournalEntry[]> {
    const byKey = new Map<string, JournalEntry>();
    const shared = await this.redis?.journalEntries();
    for (const raw of shared?.values() ?? []) {
      try {
        const entry = JSON.parse(raw) as JournalEntry;
        byKey.set(entry.key, entry);
      } catch {
        // Not ours: ignore it.
      }
    }
    for (const entry of this.memory.values()) {
      const other = byKey.get(entry.key);
      if (!other || entry.at >= other.at) byKey.set(entry.key, entry);
    }
    return [...byKey.values()].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  }

  /** Forgets `entry` once replayed, unless a newer entry for its key came meanwhile. */
  async remove(entry: JournalEntry): Promise<void> {
    const local = this.memory.get(entry.key);
    if (local && local.at === entry.at && local.op === entry.op) this.memory.delete(entry.key);
    await this.redis?.journalRemove(entry.key, JSON.stringify(entry));
  }
}
