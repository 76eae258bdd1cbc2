import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { NestInstrumentation } from '@opentelemetry/instrumentation-nestjs-core';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { IncomingMessage } from 'node:http';

export interface TelemetryOptions {
  serviceName: string;
  serviceVersion?: string;
  /**
   * Where traces go: an OTLP/HTTP base URL (`/v1/traces` is appended). Defaults to
   * OTEL_EXPORTER_OTLP_ENDPOINT; without either, spans are still made (so logs and outgoing
   * calls carry trace ids) but not exported.
   */
  otlpEndpoint?: string;
  /** Extra span processors, e.g. an in-memory exporter in a test. */
  spanProcessors?: SpanProcessor[];
  /** Health and metrics scrapes make no traces worth keeping. */
  ignoredPaths?: string[];
  /**
   * Incoming requests that get a span only while spans are exported (an OTLP endpoint or a
   * span processor is configured). For a hot request that logs nothing and calls nobody, a
   * span nobody receives is pure cost: about half of the registry's ~200 µs per discovery GET.
   */
  tracedOnlyWhenExported?: (request: IncomingMessage) => boolean;
}

export interface Telemetry {
  /** Whether spans go anywhere (an OTLP endpoint or a span processor was given). */
  readonly tracesExported: boolean;
  /** Flushes pending spans and stops the SDK. */
  shutdown(): Promise<void>;
}

const DEFAULT_IGNORED_PATHS = ['/health', '/ready', '/metrics'];

/** undici gives request headers as a raw string or a flat [name, value, ...] array. */
function carriesTraceparent(headers: string | (string | string[])[]): boolean {
  if (typeof headers === 'string') return /^traceparent:/im.test(headers);
  for (let i = 0; i < headers.length; i += 2) {
    if (String(headers[i]).toLowerCase() === 'traceparent') return true;
  }
  return false;
}

/**
 * Starts OpenTelemetry for this process: spans for incoming and outgoing HTTP (node:http and
 * fetch/undici) and for NestJS handlers, W3C trace-context propagation, and trace ids in every
 * pino log line. Call it before the modules it instruments are loaded (first line of main).
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  const endpoint = options.otlpEndpoint ?? process.env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  const ignored = new Set(options.ignoredPaths ?? DEFAULT_IGNORED_PATHS);
  const spanProcessors: SpanProcessor[] = [...(options.spanProcessors ?? [])];
  if (endpoint) {
    spanProcessors.push(
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint.replace(/\/$/, '')}/v1/traces` })),
    );
  }
  const exported = spanProcessors.length > 0;
  const untraced = exported ? undefined : options.tracedOnlyWhenExported;
  // With no processor at all the SDK would install no tracer provider, and spans would have
  // no ids; a no-op processor keeps ids (for logs and traceparent) without exporting.
  if (!exported) spanProcessors.push(new NoopSpanProcessor());

  // Skyroad exports traces over OTLP; metrics are scraped from /metrics and logs go to stdout.
  // Left at their defaults the SDK would also push metrics and logs to an OTLP endpoint, and
  // wait for that endpoint at shutdown. An explicit setting still wins.
  process.env['OTEL_METRICS_EXPORTER'] ??= 'none';
  process.env['OTEL_LOGS_EXPORTER'] ??= 'none';

  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: options.serviceName,
      ...(options.serviceVersion ? { [ATTR_SERVICE_VERSION]: options.serviceVersion } : {}),
    }),
    spanProcessors,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) =>
          ignored.has((request.url ?? '').split('?')[0]) || (untraced?.(request) ?? false),
      }),
      // A caller that already propagated trace context (the Skyroad SDK does, for apps
      // without OpenTelemetry) made its own client span: a second one would add a second
      // traceparent header, which the callee cannot parse.
      new UndiciInstrumentation({ ignoreRequestHook: (request) => carriesTraceparent(request.headers) }),
      new NestInstrumentation(),
      // Trace ids go into the log line; the lines themselves stay on stdout.
      new PinoInstrumentation({ disableLogSending: true }),
    ],
  });
  sdk.start();
  return { tracesExported: exported, shutdown: () => sdk.shutdown() };
}
