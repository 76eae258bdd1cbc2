import type { Etcd3, IDuplexStream, ILeaseKeepAliveRequest, ILeaseKeepAliveResponse } from 'etcd3';

type KeepAliveStream = IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse>;

interface Pending {
  leaseId: string;
  resolve(ttlSeconds: number): void;
  reject(error: Error): void;
}

/**
 * Renews leases one at a time over a few long-lived LeaseKeepAlive streams, as a lean client
 * keeping many leases alive would (etcd3's own Lease opens a stream per lease). etcd answers a
 * stream's requests in order, so answers are matched first-in, first-out. For the benchmark
 * only: a broken stream fails the benchmark rather than being reopened.
 */
export class LeaseKeepAliveStreams {
  private readonly queues: Pending[][] = [];
  private next = 0;

  private constructor(private readonly streams: KeepAliveStream[]) {
    streams.forEach((stream, i) => {
      const queue: Pending[] = [];
      this.queues.push(queue);
      stream.on('data', (response: ILeaseKeepAliveResponse) => {
        const entry = queue.shift();
        if (!entry) return;
        if (entry.leaseId !== String(response.ID))
          entry.reject(
            new Error(`keep-alive stream ${i}: answer for ${response.ID}, expected ${entry.leaseId}`),
          );
        else entry.resolve(Number(response.TTL));
      });
      const fail = (error: Error) => {
        for (const entry of queue.splice(0)) entry.reject(error);
      };
      stream.on('error', fail);
      stream.on('end', () => fail(new Error(`keep-alive stream ${i} ended`)));
    });
  }

  static async open(client: Etcd3, count: number): Promise<LeaseKeepAliveStreams> {
    const streams = await Promise.all(
      Array.from({ length: count }, () => client.leaseClient.leaseKeepAlive()),
    );
    return new LeaseKeepAliveStreams(streams);
  }

  /** Renews `leaseId` once: its TTL in seconds, 0 when the lease is gone. */
  keepAliveOnce(leaseId: string): Promise<number> {
    const i = this.next++ % this.streams.length;
    return new Promise((resolve, reject) => {
      this.queues[i].push({ leaseId, resolve, reject });
      this.streams[i].write({ ID: leaseId });
    });
  }

  close(): void {
    for (const stream of this.streams) stream.end();
  }
}
