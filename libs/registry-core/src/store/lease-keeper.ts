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
 * Long-lived LeaseKeepAlive streams the renewals are spread over, in turn. etcd serves one
 * stream's requests one after another, and on the leader each renewal first waits until every
 * committed entry is applied: while registrations were pouring in, one stream renewed ~47
 * leases/s (1.3 s each, measured through this registry on etcd 3.4 with 40,000 instances),
 * where 100,000 instances with a 300 s TTL need 1,000/s.
 */
export const KEEPALIVE_STREAMS = 8;

/**
 * Renews leases over a few long-lived LeaseKeepAlive streams (KEEPALIVE_STREAMS) instead of
 * opening a stream per heartbeat. A renewal is idempotent, so one that failed with its stream
 * (say, the member it was connected to died) is tried again on a stream opened afresh.
 */
export class LeaseKeeper {
  private readonly channels: KeepAliveChannel[];
  private next = 0;
  private closed = false;

  constructor(client: Etcd3, timeoutMs: number, streams = KEEPALIVE_STREAMS) {
    this.channels = Array.from({ length: streams }, () => new KeepAliveChannel(client, timeoutMs));
  }

  /**
   * Renews `leaseId` once; its remaining TTL in seconds, or undefined when the lease is gone.
   * A retry stays on its channel: the failure closed that channel's stream, so the retry opens
   * a fresh one (to a member the client picks again), where another channel may still hold a
   * stream to the member that just failed.
   */
  async keepAliveOnce(leaseId: string): Promise<number | undefined> {
    const channel = this.channels[this.next];
    this.next = (this.next + 1) % this.channels.length;
    for (let attempt = 1; ; attempt++) {
      try {
        return await channel.keepAlive(leaseId);
      } catch (error) {
        if (attempt >= KEEPALIVE_ATTEMPTS || this.closed) throw error;
      }
    }
  }

  close(): void {
    this.closed = true;
    for (const channel of this.channels) channel.close();
  }
}

/**
 * One LeaseKeepAlive stream, opened on first use. etcd answers a stream's requests in order (a
 * lease that is gone answers TTL 0), so answers are matched to requests first-in, first-out.
 * Any stream error or a late answer fails every pending renewal on it, and the next renewal
 * opens a fresh stream.
 */
class KeepAliveChannel {
  private stream: Promise<KeepAliveStream> | undefined;
  private readonly pending: Pending[] = [];

  constructor(
    private readonly client: Etcd3,
    private readonly timeoutMs: number,
  ) {}

  async keepAlive(leaseId: string): Promise<number | undefined> {
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
    const stream = this.stream;
    this.stream = undefined;
    void stream?.then((s) => s.end()).catch(() => undefined);
    for (const entry of this.pending.splice(0)) {
      clearTimeout(entry.timer);
      entry.reject(new Error('lease keeper closed'));
    }
  }
}
