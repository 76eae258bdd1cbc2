/**
 * This node's view of each instance's last heartbeat (instance key -> ISO time), laid over the
 * stored value: a heartbeat never writes the key. Degraded mode expires instances by it.
 */
export class HeartbeatTimes {
  private readonly times = new Map<string, string>();

  get(key: string): string | undefined {
    return this.times.get(key);
  }

  /** Keeps the later of what it had and `at`. */
  note(key: string, at: string): void {
    const current = this.times.get(key);
    if (current === undefined || at > current) this.times.set(key, at);
  }

  delete(key: string): void {
    this.times.delete(key);
  }
}
