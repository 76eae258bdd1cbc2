/** The group of an instance key: its service prefix (everything up to the last '/'). */
const groupOf = (key: string): string => key.slice(0, key.lastIndexOf('/') + 1);

/**
 * This node's view of each instance's last heartbeat (instance key -> ISO time), laid over the
 * stored value: a heartbeat never writes the key. Degraded mode expires instances by it.
 */
export class HeartbeatTimes {
  private readonly times = new Map<string, string>();
  /** Per service prefix, a stamp renewed whenever a time under it changes (see groupStamp). */
  private readonly stamps = new Map<string, number>();
  private lastStamp = 0;

  get(key: string): string | undefined {
    return this.times.get(key);
  }

  /** Keeps the later of what it had and `at`. */
  note(key: string, at: string): void {
    const current = this.times.get(key);
    if (current === undefined || at > current) {
      this.times.set(key, at);
      this.stamps.set(groupOf(key), ++this.lastStamp);
    }
  }

  delete(key: string): void {
    if (this.times.delete(key)) this.stamps.set(groupOf(key), ++this.lastStamp);
  }

  /**
   * Changes whenever a time of an instance under `group` (a service prefix) changes, so a
   * discovery answer that shows those times can be kept until then. Never reused.
   */
  groupStamp(group: string): number {
    return this.stamps.get(group) ?? 0;
  }
}
