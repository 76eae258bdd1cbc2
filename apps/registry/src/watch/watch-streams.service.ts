import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import {
  InstanceRegistry,
  KeySpaceCache,
  PolicyService,
  WATCH_KEEPALIVE_INTERVAL_MS,
  WATCH_MAX_BUFFERED_BYTES,
  WatchSession,
  type WatchMessage,
} from '@skyroad/registry-core';
import type { Response } from 'express';
import { MetricsService } from '../metrics/metrics.service';

/** Formats one Server-Sent Event; the id is the store revision, so Last-Event-ID resumes. */
export function formatSse(message: WatchMessage): string {
  return `id: ${message.id}\nevent: ${message.event}\ndata: ${JSON.stringify(message.data)}\n\n`;
}

/** Every open watch stream, so that shutdown can end them and metrics can count them. */
@Injectable()
export class WatchStreams implements BeforeApplicationShutdown {
  private readonly open = new Set<() => void>();
  private closing = false;

  constructor(
    @Inject(KeySpaceCache) private readonly cache: KeySpaceCache,
    @Inject(InstanceRegistry) private readonly instances: InstanceRegistry,
    @Inject(PolicyService) private readonly policies: PolicyService,
    @Inject(MetricsService) private readonly metrics: MetricsService,
  ) {}

  get count(): number {
    return this.open.size;
  }

  /** Streams a service's watch on `res` until the client leaves or the registry stops. */
  stream(ns: string, svc: string, fromRevision: number | undefined, res: Response): void {
    if (this.closing) {
      res
        .status(503)
        .json({ statusCode: 503, error: 'Service Unavailable', message: 'shutting down', reasons: [] });
      return;
    }
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    // The stream owns its connection: when it ends, the socket closes (nothing lingers at shutdown).
    res.setHeader('Connection', 'close');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();

    const session = new WatchSession(this.cache, this.instances, this.policies, ns, svc);
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), WATCH_KEEPALIVE_INTERVAL_MS);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      clearInterval(keepalive);
      session.close();
      this.open.delete(end);
      this.metrics.watchers.set(this.open.size);
      if (!res.writableEnded) res.end();
    };
    this.open.add(end);
    this.metrics.watchers.set(this.open.size);
    res.once('close', end);
    const send = (message: WatchMessage) => {
      if (ended) return;
      res.write(formatSse(message));
      if (res.writableLength > WATCH_MAX_BUFFERED_BYTES) end();
    };
    session.open({ send, end }, fromRevision);
  }

  /** Ends every stream and refuses new ones (shutdown). */
  endAll(): void {
    this.closing = true;
    for (const end of [...this.open]) end();
  }

  beforeApplicationShutdown(): void {
    this.endAll();
  }
}
