import { randomBytes } from 'node:crypto';
import { context, isSpanContextValid, propagation, trace, type Span } from '@opentelemetry/api';

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * Writes the W3C trace context of `span` into `headers`. With an OpenTelemetry SDK installed,
 * its propagator does it. Without one the span is a no-op with no ids, so a traceparent is
 * made here: continuing the trace of an incoming `traceparent` header when the caller passed
 * one along, or starting a new trace, so the callee can still join the call to its caller.
 */
export function injectTraceContext(span: Span, headers: Headers): void {
  const spanContext = span.spanContext();
  if (isSpanContextValid(spanContext)) {
    const carrier: Record<string, string> = {};
    propagation.inject(trace.setSpan(context.active(), span), carrier);
    if (!carrier.traceparent) {
      const flags = spanContext.traceFlags.toString(16).padStart(2, '0');
      carrier.traceparent = `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
    }
    for (const [k, v] of Object.entries(carrier)) headers.set(k, v);
    return;
  }
  const incoming = TRACEPARENT.exec(headers.get('traceparent') ?? '');
  const traceId =
    incoming && !/^0+$/.test(incoming[2]) && incoming[1] !== 'ff'
      ? incoming[2]
      : randomBytes(16).toString('hex');
  const flags = incoming ? incoming[4] : '01';
  headers.set('traceparent', `00-${traceId}-${randomBytes(8).toString('hex')}-${flags}`);
}
