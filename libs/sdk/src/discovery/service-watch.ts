import { ROOT_CONTEXT, context } from '@opentelemetry/api';
import { Backoff, pause } from '../backoff.ts';
import { RegistryRequestError } from '../errors.ts';
import type { RegistryClient } from '../registry/registry-client.ts';
import { SseParser, type SseEvent } from '../registry/sse-parser.ts';
import { readInstance, readInstances, readPolicyRecord } from '../registry/wire.ts';
import type { PolicyRecord, SkyroadLogger } from '../types.ts';
import type { FailoverFile } from './failover-file.ts';
import type { ServiceCache } from './service-cache.ts';

/** The registry sends a keepalive every 15 s; three missed ones mean the stream is dead. */
export const WATCH_IDLE_TIMEOUT_MS = 45_000;
export const WATCH_BACKOFF_BASE_MS = 100;
export const WATCH_BACKOFF_MAX_MS = 5_000;

export type WatchChange = 'instances' | 'policy';

export interface ServiceWatchOptions {
  readonly service: string;
  readonly client: RegistryClient;
  readonly cache: ServiceCache;
  readonly failover?: FailoverFile;
  readonly logger: SkyroadLogger;
  readonly random?: () => number;
  readonly idleTimeoutMs?: number;
  readonly onChange: (change: WatchChange) => void;
}

/**
 * Keeps one service's cache current from the registry's watch stream (SSE): a snapshot first,
 * then changes; on a broken stream it reconnects (next registry of the list, backoff with
 * jitter) and resumes after the last revision it saw. When the registry cannot be reached
 * before the first snapshot, the failover file stands in. Every applied change is written
 * back to the failover file.
 */
export class ServiceWatch {
  /** Settles once the first connection attempt is over (data loaded, or not). */
  readonly firstAttempt: Promise<void>;
  /** The error of the last failed connection, if the stream is down. */
  lastError: unknown;
  connected = false;
  private settleFirst!: () => void;
  private readonly closing = new AbortController();
  private stream: AbortController | undefined;
  private resumeRevision: number | undefined;
  private readonly backoff: Backoff;
  private saving: Promise<void> = Promise.resolve();
  private saveQueued = false;
  private readonly loop: Promise<void>;

  constructor(private readonly options: ServiceWatchOptions) {
    this.firstAttempt = new Promise((resolve) => (this.settleFirst = resolve));
    this.backoff = new Backoff(WATCH_BACKOFF_BASE_MS, WATCH_BACKOFF_MAX_MS, options.random);
    // The watch outlives whatever call first needed the service: it must not join that
    // call's trace (a span that lasts as long as the stream would hang off the caller's).
    this.loop = context.with(ROOT_CONTEXT, () => this.run());
  }

  async close(): Promise<void> {
    this.closing.abort();
    this.stream?.abort();
    await this.loop;
    await this.saving;
  }

  private async run(): Promise<void> {
    const { client, service, logger } = this.options;
    while (!this.closing.signal.aborted) {
      const stream = new AbortController();
      this.stream = stream;
      try {
        const res = await client.openWatch(service, this.resumeRevision, stream.signal);
        if (res.status !== 200 || !res.body) {
          const text = await res.text().catch(() => '');
          throw new RegistryRequestError(res.status, `watch of ${service} refused: ${text.slice(0, 200)}`);
        }
        this.connected = true;
        this.lastError = undefined;
        await this.consume(res.body, stream);
        if (!this.closing.signal.aborted) logger.info('watch stream ended; reconnecting', { service });
      } catch (error) {
        if (this.closing.signal.aborted) break;
        this.lastError = error;
        logger.warn('watch failed; retrying', { service, error: String(error) });
      } finally {
        this.connected = false;
        stream.abort();
      }
      if (!this.options.cache.loaded) await this.loadFailover();
      this.settleFirst();
      await pause(this.backoff.next(), this.closing.signal);
    }
    this.settleFirst();
  }

  private async consume(body: ReadableStream<Uint8Array>, stream: AbortController): Promise<void> {
    const idleMs = this.options.idleTimeoutMs ?? WATCH_IDLE_TIMEOUT_MS;
    let idle = setTimeout(() => stream.abort(new Error('watch idle')), idleMs);
    const parser = new SseParser((event) => this.onEvent(event));
    const decoder = new TextDecoder();
    const reader = body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        clearTimeout(idle);
        idle = setTimeout(() => stream.abort(new Error('watch idle')), idleMs);
        parser.feed(decoder.decode(value, { stream: true }));
      }
    } finally {
      clearTimeout(idle);
      reader.releaseLock();
    }
  }

  private onEvent(event: SseEvent): void {
    const { cache, service, logger } = this.options;
    let data: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(event.data);
      if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
      data = parsed as Record<string, unknown>;
    } catch (error) {
      logger.warn('malformed watch event ignored', { service, event: event.event, error: String(error) });
      return;
    }
    const revision = typeof data.revision === 'number' ? data.revision : Number(event.id ?? NaN);
    if (!Number.isFinite(revision)) {
      logger.warn('watch event without revision ignored', { service, event: event.event });
      return;
    }
    switch (event.event) {
      case 'snapshot': {
        const applied = cache.applySnapshot(
          { revision, instances: readInstances(data.instances), policy: this.policyOf(data.policy) },
          'registry',
        );
        if (!applied)
          logger.warn('empty snapshot not applied (push-empty protection)', { service, revision });
        this.changed('instances');
        this.changed('policy');
        this.settleFirst();
        break;
      }
      case 'instance': {
        const instance = readInstance(data.instance);
        if ((data.type !== 'PUT' && data.type !== 'DELETE') || !instance) {
          logger.warn('malformed instance event ignored', { service, revision });
          return;
        }
        cache.applyInstance(data.type, instance, revision);
        this.changed('instances');
        break;
      }
      case 'policy':
        cache.applyPolicy(this.policyOf(data.policy), revision);
        this.changed('policy');
        break;
      default:
        return;
    }
    this.resumeRevision = cache.revision;
    this.backoff.reset();
  }

  /** The record to apply: the new one when valid, otherwise the last valid one. */
  private policyOf(value: unknown): PolicyRecord | null {
    const read = readPolicyRecord(value);
    if (read.invalid) {
      this.options.logger.warn('invalid policy ignored; keeping the last valid one', {
        service: this.options.service,
        reasons: read.invalid,
      });
      return this.options.cache.policyRecordOrNull;
    }
    return read.record;
  }

  private changed(change: WatchChange): void {
    this.options.onChange(change);
    this.scheduleSave();
  }

  private async loadFailover(): Promise<void> {
    const saved = await this.options.failover?.load(this.options.service);
    if (saved && !this.options.cache.loaded) {
      this.options.cache.applySnapshot(saved, 'failover');
      this.options.logger.warn('registry unreachable; using the failover file', {
        service: this.options.service,
      });
      this.options.onChange('instances');
      this.options.onChange('policy');
    }
  }

  private scheduleSave(): void {
    const failover = this.options.failover;
    if (!failover || this.saveQueued) return;
    this.saveQueued = true;
    this.saving = this.saving.then(async () => {
      this.saveQueued = false;
      try {
        await failover.save(this.options.service, this.options.cache.snapshot());
      } catch (error) {
        this.options.logger.warn('could not write the failover file', { error: String(error) });
      }
    });
  }
}
