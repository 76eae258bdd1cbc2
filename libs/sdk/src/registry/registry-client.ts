import { RegistryRequestError, RegistryUnavailableError } from '../errors.ts';
import type { Instance } from '../types.ts';
import { readInstance, readInstances } from './wire.ts';

/** How long one registry request may take before the next registry is tried. */
export const REGISTRY_REQUEST_TIMEOUT_MS = 5_000;

export interface RegistryClientOptions {
  readonly namespace: string;
  readonly token?: string;
  readonly requestTimeoutMs?: number;
}

export interface RegisterBody {
  readonly host: string;
  readonly port: number;
  readonly id?: string;
  readonly weight?: number;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly ttl?: number;
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

/** Statuses after which another registry of the list may do better. */
const TRY_NEXT_STATUSES = new Set([502, 503, 504]);

/**
 * The registry's HTTP API (docs/registry-api.md) over a list of registry URLs: a request that
 * cannot reach one registry, or gets 502/503/504, goes to the next; the one that answered
 * becomes the first to try next time.
 */
export class RegistryClient {
  private readonly urls: string[];
  private preferred = 0;
  private readonly timeoutMs: number;

  constructor(
    urls: readonly string[],
    private readonly options: RegistryClientOptions,
  ) {
    if (urls.length === 0) throw new Error('at least one registry URL is required');
    this.urls = urls.map((u) => u.replace(/\/+$/, ''));
    this.timeoutMs = options.requestTimeoutMs ?? REGISTRY_REQUEST_TIMEOUT_MS;
  }

  get registries(): readonly string[] {
    return this.urls;
  }

  servicePath(service: string): string {
    return `/v1/namespaces/${encodeURIComponent(this.options.namespace)}/services/${encodeURIComponent(service)}`;
  }

  async register(service: string, body: RegisterBody): Promise<Instance> {
    const answer = await this.request('POST', `${this.servicePath(service)}/instances`, body);
    this.expect(answer, [200, 201]);
    const instance = readInstance(answer.body);
    if (!instance) throw new RegistryRequestError(answer.status, 'register answered no instance');
    return instance;
  }

  /** 'alive' when the heartbeat was taken; 'gone' when the registry no longer knows the instance. */
  async heartbeat(service: string, id: string): Promise<'alive' | 'gone'> {
    const answer = await this.request(
      'PUT',
      `${this.servicePath(service)}/instances/${encodeURIComponent(id)}/heartbeat`,
    );
    if (answer.status === 404) return 'gone';
    this.expect(answer, [200, 204]);
    return 'alive';
  }

  async deregister(service: string, id: string): Promise<void> {
    const answer = await this.request(
      'DELETE',
      `${this.servicePath(service)}/instances/${encodeURIComponent(id)}`,
    );
    if (answer.status === 404) return;
    this.expect(answer, [200, 204]);
  }

  async instances(service: string): Promise<{ revision: number; instances: Instance[] }> {
    const answer = await this.request('GET', `${this.servicePath(service)}/instances`);
    this.expect(answer, [200]);
    const body = answer.body as { revision?: unknown; instances?: unknown } | null;
    return {
      revision: typeof body?.revision === 'number' ? body.revision : 0,
      instances: readInstances(body?.instances),
    };
  }

  /**
   * Opens the service's watch stream (SSE) on the first registry that answers, resuming after
   * `revision` when given. The timeout bounds connecting, not the life of the stream, which
   * ends when `signal` aborts. The caller reads the body.
   */
  async openWatch(service: string, revision: number | undefined, signal: AbortSignal): Promise<Response> {
    const query = revision === undefined ? '' : `?revision=${revision}`;
    return this.failover(async (base) => {
      const stream = new AbortController();
      const stop = (): void => stream.abort(signal.reason);
      signal.addEventListener('abort', stop, { once: true });
      const timer = setTimeout(() => stream.abort(new Error('watch connect timeout')), this.timeoutMs);
      try {
        const res = await fetch(`${base}${this.servicePath(service)}/watch${query}`, {
          headers: { ...this.authHeaders(), accept: 'text/event-stream' },
          signal: stream.signal,
        });
        return { status: res.status, value: res, discard: () => res.body?.cancel().catch(() => undefined) };
      } catch (error) {
        signal.removeEventListener('abort', stop);
        throw error;
      } finally {
        clearTimeout(timer);
      }
    }, signal);
  }

  /** Sends one request, failing over between registries. */
  async request(method: string, path: string, body?: unknown): Promise<Answer> {
    return this.failover(async (base) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: {
          ...this.authHeaders(),
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await res.text();
      let parsed: unknown = undefined;
      if (text.length > 0) {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = text;
        }
      }
      return { status: res.status, value: { status: res.status, body: parsed } };
    });
  }

  private async failover<R>(
    attempt: (base: string) => Promise<{ status: number; value: R; discard?: () => unknown }>,
    signal?: AbortSignal,
  ): Promise<R> {
    let lastError: unknown;
    for (let k = 0; k < this.urls.length; k++) {
      if (signal?.aborted) break;
      const index = (this.preferred + k) % this.urls.length;
      try {
        const answer = await attempt(this.urls[index]);
        if (TRY_NEXT_STATUSES.has(answer.status)) {
          lastError = new Error(`${this.urls[index]} answered ${answer.status}`);
          answer.discard?.();
          continue;
        }
        this.preferred = index;
        return answer.value;
      } catch (error) {
        lastError = error;
      }
    }
    throw new RegistryUnavailableError(this.urls, lastError);
  }

  private expect(answer: Answer, ok: number[]): void {
    if (ok.includes(answer.status)) return;
    const body = answer.body as { message?: unknown; reasons?: unknown } | null | undefined;
    const message = typeof body?.message === 'string' ? body.message : `status ${answer.status}`;
    const reasons = Array.isArray(body?.reasons) ? body.reasons.map(String) : [];
    throw new RegistryRequestError(answer.status, message, reasons);
  }

  private authHeaders(): Record<string, string> {
    return this.options.token ? { authorization: `Bearer ${this.options.token}` } : {};
  }
}
