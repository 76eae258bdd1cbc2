/*
 * Leases by expiry time, soonest first (etcd's LeaseQueue): a binary min-heap with lazy
 * deletion. A renewal pushes a new item instead of moving the old one; an item whose time no
 * longer matches its lease's is skipped when it reaches the top.
 */

export interface ExpiryItem {
  atMs: number;
  id: bigint;
}

export class ExpiryQueue {
  private heap: ExpiryItem[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(item: ExpiryItem): void {
    const heap = this.heap;
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent].atMs <= heap[i].atMs) break;
      [heap[parent], heap[i]] = [heap[i], heap[parent]];
      i = parent;
    }
  }

  peek(): ExpiryItem | undefined {
    return this.heap[0];
  }

  pop(): ExpiryItem | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && heap[left].atMs < heap[smallest].atMs) smallest = left;
        if (right < heap.length && heap[right].atMs < heap[smallest].atMs) smallest = right;
        if (smallest === i) break;
        [heap[smallest], heap[i]] = [heap[i], heap[smallest]];
        i = smallest;
      }
    }
    return top;
  }

  clear(): void {
    this.heap = [];
  }
}
