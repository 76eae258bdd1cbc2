import { join } from 'node:path';
import {
  freePort,
  httpOk,
  startOtlpReceiver,
  useProcessSet,
  waitFor,
  type OtlpReceiver,
} from '@skyroad/testkit';

const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;

describe('startTelemetry (real process, real OTLP/HTTP export)', () => {
  const processes = useProcessSet();
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(() => receiver.close());

  it('traces an incoming request, the fetch it makes and the handler it reaches as one trace, with the trace id in the log', async () => {
    const port = await freePort();
    const server = await processes.spawn({
      name: 'traced-server',
      command: process.execPath,
      args: [
        '-r',
        join(__dirname, 'support/register-ts.js'),
        join(__dirname, 'support/traced-server.ts'),
        String(port),
      ],
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '100' },
      ready: () => httpOk(`http://127.0.0.1:${port}/health`),
    });
    const response = await fetch(`http://127.0.0.1:${port}/outer`);
    const { traceparent } = (await response.json()) as { traceparent: string };
    // W3C trace context reached the inner request: version-traceid-spanid-flags.
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const traceId = traceparent.split('-')[1];

    const spans = await waitFor(
      () => {
        const inTrace = receiver.spans().filter((s) => s.traceId === traceId);
        return inTrace.length >= 3 ? inTrace : undefined;
      },
      { what: 'three spans of the trace', timeoutMs: 10_000 },
    );
    const outer =
      spans.find((s) => s.kind === SPAN_KIND_SERVER && s.attributes['http.target'] === '/outer') ??
      spans.find((s) => s.kind === SPAN_KIND_SERVER && String(s.attributes['url.path'] ?? '') === '/outer');
    const client = spans.find((s) => s.kind === SPAN_KIND_CLIENT);
    const inner = spans.find((s) => s.kind === SPAN_KIND_SERVER && s !== outer);
    expect(outer).toBeDefined();
    expect(client?.parentSpanId).toBe(outer?.spanId);
    expect(inner?.parentSpanId).toBe(client?.spanId);
    expect(new Set(spans.map((s) => s.serviceName))).toEqual(new Set(['traced-server']));
    // Health checks are not traced.
    expect(
      receiver
        .spans()
        .some((s) => String(s.attributes['http.target'] ?? s.attributes['url.path']) === '/health'),
    ).toBe(false);

    // A caller that set traceparent itself keeps it: exactly one header reaches the callee.
    const manual = await (await fetch(`http://127.0.0.1:${port}/manual`)).text();
    expect(manual).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');

    const logLine = server
      .logTail()
      .split('\n')
      .find((line) => line.includes('outer handled'));
    expect(logLine).toBeDefined();
    expect(JSON.parse(logLine as string).trace_id).toBe(traceId);
  });
});
