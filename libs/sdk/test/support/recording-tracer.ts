import { randomBytes } from 'node:crypto';
import {
  context,
  trace,
  TraceFlags,
  type Attributes,
  type AttributeValue,
  type Context,
  type Span,
  type SpanContext,
  type SpanOptions,
  type SpanStatus,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';

/** A finished or running span as the test sees it. */
export class RecordedSpan implements Span {
  readonly attributes: Attributes = {};
  readonly events: string[] = [];
  status: SpanStatus = { code: 0 };
  ended = false;
  private readonly ctx: SpanContext = {
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    traceFlags: TraceFlags.SAMPLED,
  };

  constructor(
    public name: string,
    readonly options: SpanOptions,
  ) {}

  spanContext(): SpanContext {
    return this.ctx;
  }
  setAttribute(key: string, value: AttributeValue): this {
    this.attributes[key] = value;
    return this;
  }
  setAttributes(attributes: Attributes): this {
    Object.assign(this.attributes, attributes);
    return this;
  }
  addEvent(name: string): this {
    this.events.push(name);
    return this;
  }
  addLink(): this {
    return this;
  }
  addLinks(): this {
    return this;
  }
  setStatus(status: SpanStatus): this {
    this.status = status;
    return this;
  }
  updateName(name: string): this {
    this.name = name;
    return this;
  }
  end(): void {
    this.ended = true;
  }
  isRecording(): boolean {
    return !this.ended;
  }
  recordException(exception: unknown): void {
    this.events.push(`exception: ${String(exception)}`);
  }
}

/** The smallest TracerProvider that records spans, to check what the SDK reports. */
export class RecordingTracerProvider implements TracerProvider {
  readonly spans: RecordedSpan[] = [];

  getTracer(): Tracer {
    const spans = this.spans;
    const startSpan = (name: string, options: SpanOptions = {}): RecordedSpan => {
      const span = new RecordedSpan(name, options);
      spans.push(span);
      return span;
    };
    return {
      startSpan,
      startActiveSpan: (name: string, ...rest: unknown[]) => {
        const fn = rest.pop() as (span: Span) => unknown;
        const options = (rest[0] ?? {}) as SpanOptions;
        const parent = (rest[1] as Context | undefined) ?? context.active();
        const span = startSpan(name, options);
        return context.with(trace.setSpan(parent, span), fn, undefined, span);
      },
    } as Tracer;
  }
}
