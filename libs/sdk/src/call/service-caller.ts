import { SpanKind, SpanStatusCode, context, trace, type Span } from '@opentelemetry/api';
import type { RetryCondition } from '@skyroad/governance';
import { RateLimitedError } from '../errors.ts';
import type { ServiceGovernor } from '../governor/service-governor.ts';
import { injectTraceContext } from '../tracing/trace-context.ts';
import type { Instance } from '../types.ts';
import { classifyFetchError } from './failure.ts';

/** Used when the policy sets no timeoutMs. */
export const DEFAULT_CALL_TIMEOUT_MS = 10_000;
/** Used when the policy has no retry section: one retry elsewhere when a connection fails. */
export const DEFAULT_RETRY: Readonly<{ attempts: number; on: readonly RetryCondition[] }> = Object.freeze({
  attempts: 1,
  on: Object.freeze(['connect-failure'] as RetryCondition[]),
});

const TRACER_NAME = '@skyroad/sdk';

/** A request body that can be sent again on a retry. */
export type CallBody = string | Uint8Array | ArrayBuffer | Blob | URLSearchParams | FormData;

export interface CallOptions {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: CallBody | null;
  /** Sent as JSON (with content-type application/json) when `body` is not given. */
  readonly json?: unknown;
  /** Metadata of the calling service, for route matching. */
  readonly callerMetadata?: Readonly<Record<string, string>>;
  /** The key for consistent hashing with `hashOn: "key"`. */
  readonly hashKey?: string;
  /** Overrides the policy's timeoutMs (until the response headers arrive). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface CallDependencies {
  readonly service: string;
  readonly governor: ServiceGovernor;
  readonly instances: () => readonly Instance[];
}

/**
 * One call to a service: rate limit, pick, fetch the instance directly with a timeout, feed
 * the outcome to the instance's circuit breaker, and retry on another instance under the
 * policy's retry conditions. One OpenTelemetry client span covers the call; its W3C trace
 * context goes out in `traceparent`. Returns the last response (a 5xx included when no retry
 * is left) or throws the last error.
 */
export async function callService(
  deps: CallDependencies,
  path: string,
  options: CallOptions = {},
): Promise<Response> {
  const { service, governor } = deps;
  const policy = governor.currentPolicy;
  const waitMs = governor.takeToken();
  if (waitMs > 0) throw new RateLimitedError(service, waitMs);

  const method = (options.method ?? 'GET').toUpperCase();
  const retry: { attempts: number; on: readonly RetryCondition[] } = policy.retry
    ? { attempts: policy.retry.attempts ?? 0, on: policy.retry.on ?? ['connect-failure'] }
    : DEFAULT_RETRY;
  const timeoutMs = options.timeoutMs ?? policy.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  const tracer = trace.getTracer(TRACER_NAME);

  return tracer.startActiveSpan(`${method} ${service}`, { kind: SpanKind.CLIENT }, async (span) => {
    span.setAttribute('http.request.method', method);
    span.setAttribute('skyroad.service', service);
    const tried = new Set<string>();
    let lastError: unknown;
    // A retryable 5xx is kept until another instance is found: with none left, it is the answer.
    let lastResponse: Response | undefined;
    try {
      for (let attempt = 0; attempt <= retry.attempts; attempt++) {
        const ctx = {
          headers: options.headers,
          callerMetadata: options.callerMetadata,
          hashKey: options.hashKey,
        };
        let instance: Instance;
        try {
          instance = governor.pick(deps.instances(), ctx, tried);
        } catch (error) {
          if (attempt === 0) throw error;
          break; // nowhere else to retry: report the last outcome
        }
        if (lastResponse) {
          span.addEvent('retry', { 'http.response.status_code': lastResponse.status });
          await lastResponse.body?.cancel().catch(() => undefined);
          lastResponse = undefined;
        } else if (attempt > 0) {
          span.addEvent('retry', { 'exception.message': String(lastError) });
        }
        tried.add(instance.id);
        span.setAttribute('skyroad.attempts', attempt + 1);
        const outcome = await attemptOnce(deps, instance, path, method, options, timeoutMs, span);
        if (outcome.kind === 'response') {
          const retryable = outcome.response.status >= 500 && retry.on.includes('5xx');
          if (!retryable || attempt === retry.attempts) return finish(span, outcome.response);
          lastResponse = outcome.response;
          lastError = undefined;
          continue;
        }
        lastError = outcome.error;
        if (outcome.condition === 'aborted' || !retry.on.includes(outcome.condition)) break;
      }
      if (lastResponse) return finish(span, lastResponse);
      throw lastError ?? new Error(`call to ${service} failed`);
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

type Outcome =
  | { kind: 'response'; response: Response }
  | { kind: 'error'; condition: RetryCondition | 'aborted'; error: unknown };

async function attemptOnce(
  deps: CallDependencies,
  instance: Instance,
  path: string,
  method: string,
  options: CallOptions,
  timeoutMs: number,
  span: Span,
): Promise<Outcome> {
  const { governor } = deps;
  const permit = governor.acquire(instance.id);
  if (!permit) return { kind: 'error', condition: 'connect-failure', error: new Error('circuit open') };
  const headers = new Headers(options.headers);
  let body: CallBody | null | undefined = options.body;
  if (body === undefined && options.json !== undefined) {
    body = JSON.stringify(options.json);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  }
  context.with(trace.setSpan(context.active(), span), () => injectTraceContext(span, headers));
  const url = `http://${formatHost(instance.host)}:${instance.port}${path.startsWith('/') ? path : `/${path}`}`;
  span.setAttribute('server.address', instance.host);
  span.setAttribute('server.port', instance.port);
  span.setAttribute('url.full', url);
  span.setAttribute('skyroad.instance.id', instance.id);

  const controller = new AbortController();
  const timeout = new Error(`no response from ${instance.id} within ${timeoutMs} ms`);
  const timer = setTimeout(() => controller.abort(timeout), timeoutMs);
  const userSignal = options.signal;
  const onUserAbort = (): void => controller.abort(userSignal?.reason);
  userSignal?.addEventListener('abort', onUserAbort, { once: true });
  governor.started(instance.id);
  try {
    const response = await fetch(url, { method, headers, body, signal: controller.signal });
    if (response.status >= 500) permit.failure();
    else permit.success();
    return { kind: 'response', response };
  } catch (error) {
    if (userSignal?.aborted) {
      permit.success(); // the caller gave up; says nothing about the instance
      return { kind: 'error', condition: 'aborted', error };
    }
    permit.failure();
    if (controller.signal.aborted && controller.signal.reason === timeout) {
      return { kind: 'error', condition: 'timeout', error: timeout };
    }
    return { kind: 'error', condition: classifyFetchError(error), error };
  } finally {
    clearTimeout(timer);
    governor.finished(instance.id);
    userSignal?.removeEventListener('abort', onUserAbort);
  }
}

function finish(span: Span, response: Response): Response {
  span.setAttribute('http.response.status_code', response.status);
  if (response.status >= 500)
    span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${response.status}` });
  return response;
}

function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
