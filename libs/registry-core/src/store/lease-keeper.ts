import type { Etcd3, ILeaseKeepAliveRequest, ILeaseKeepAliveResponse, IDuplexStream } from 'etcd3';

/**
 * Streams a renewal is tried on before it fails. Each failure is a broken stream, not an
 * answer; the client opens each new stream to a randomly chosen member, so a few attempts
 * get past a dead member until the client's circuit breaker takes it out of rotation.
 */
const KEEPALIVE_ATTEMPTS = 5;

type KeepAliveStream = IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse>;

interface Pending {
  leaseId: string;
  resolve(ttlSeconds: number | undefined): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * Renews leases over one long-lived LeaseKeepAlive stream instead of opening a stream per
 * heartbeat. etcd answers a stream's requests in order (a lease that is gone answers TTL 0),
 * so answers are matched to requests first-in, first-out. Any stream error or a late answer
 * fails every pending renewal and the next renewal opens a fresh stream.
 */
export class LeaseKeeper {
  private stream: Promise<KeepAliveStream> | undefined;
  private readonly pending: Pending[] = [];
  private closed = false;

  constructor(
    private readonly client: Etcd3,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Renews `leaseId` once; its remaining TTL in seconds, or undefined when the lease is gone.
   * A renewal is idempotent, so one that failed with its stream (say, the member it was
   * connected to died) is tried again on a fresh stream.
   */
  async keepAliveOnce(leaseId: string): Promise<number | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.keepAliveOnStream(leaseId);
      } catch (error) {
        if (attempt >= KEEPALIVE_ATTEMPTS || this.closed) throw error;
      }
    }
  }

  private async keepAliveOnStream(leaseId: string): Promise<number | undefined> {
    const stream = await this.open();
    return new Promise((resolve, reject) => {
      const entry: Pending = {
        leaseId,
        resolve,
        reject,
        timer: setTimeout(
          () => this.fail(stream, new Error(`lease keep-alive timed out after ${this.timeoutMs} ms`)),
          this.timeoutMs,
        ),
      };
      this.pending.push(entry);
      stream.write({ ID: leaseId });
    });
  }

  private open(): Promise<KeepAliveStream> {
    if (!this.stream) {
      const opening = this.client.leaseClient.leaseKeepAlive().then((stream) => {
        stream.on('data', (response: ILeaseKeepAliveResponse) => this.answer(stream, response));
        stream.on('error', (error: Error) => this.fail(stream, error));
        stream.on('end', () => this.fail(stream, new Error('lease keep-alive stream ended')));
        return stream;
      });
      opening.catch(() => {
        if (this.stream === opening) this.stream = undefined;
      });
      this.stream = opening;
    }
    return this.stream;
  }

  private answer(stream: KeepAliveStream, response: ILeaseKeepAliveResponse): void {
    const entry = this.pending.shift();
    if (!entry || entry.leaseId !== String(response.ID)) {
      // Out of step: nothing can be trusted on this stream any more.
      if (entry) this.pending.unshift(entry);
      this.fail(stream, new Error('lease keep-alive answers out of order'));
      return;
    }
    clearTimeout(entry.timer);
    const ttl = Number(response.TTL);
    entry.resolve(ttl > 0 ? ttl : undefined);
  }

  private fail(stream: KeepAliveStream, error: Error): void {
    void this.stream?.then((current) => {
      if (current !== stream) return;
      this.stream = undefined;
      stream.end();
      for (const entry of this.pending.splice(0)) {
        clearTimeout(entry.timer);
        entry.reject(error);
      }
    });
  }

  close(): void {
    this.closed = true;
    const stream = this.stream;
    this.stream = undefined;
    void stream?.then((s) => s.end()).catch(() => undefined);
    for (const entry of this.pending.splice(0)) {
      clearTimeout(entry.timer);
      entry.reject(new Error('lease keeper closed'));
    }
  }
}
