/**
 * The MsgApp messages in flight to one follower, each remembered by the last index it
 * carries, after etcd's tracker/inflights.go. Bounds how far the leader runs ahead.
 */
export class Inflights {
  private readonly indexes: number[] = [];

  constructor(readonly capacity: number) {}

  add(lastIndex: number): void {
    if (this.full()) throw new Error('cannot add into a full inflights');
    this.indexes.push(lastIndex);
  }

  /** Frees every message whose last index is <= to (acknowledged). */
  freeLE(to: number): void {
    let n = 0;
    while (n < this.indexes.length && this.indexes[n] <= to) n++;
    if (n > 0) this.indexes.splice(0, n);
  }

  freeFirstOne(): void {
    this.indexes.shift();
  }

  full(): boolean {
    return this.indexes.length >= this.capacity;
  }

  count(): number {
    return this.indexes.length;
  }

  copyFrom(other: Inflights): void {
    this.indexes.length = 0;
    this.indexes.push(...other.indexes);
  }

  reset(): void {
    this.indexes.length = 0;
  }
}
