import type { IncomingMessage, Server } from 'node:http';
import type { RequestListener } from './fast-path';
import { isRoutineRequest } from './routine-requests';

/**
 * Dispatches routine requests (discovery GETs, heartbeats) to the fast paths around
 * OpenTelemetry's HTTP instrumentation, for when their spans would not be exported (no trace
 * exporter: see tracing.ts, which then tells the instrumentation to ignore them). The
 * instrumentation wraps http.Server's `emit`; even for a request it ignores, it enters a
 * suppressed trace context and binds the request and response emitters to it, and every
 * later event on them pays for that: measured, about a third of the registry's CPU per
 * discovery GET (~90 → ~65 µs). Nothing is lost by skipping it: the instrumentation would
 * make no span, and the fast paths call nothing that is instrumented.
 *
 * `fastPaths(fallback)` builds the fast-path listener; a routine request it declines (a guard
 * refusal, an unknown namespace...) goes through the instrumented `emit` after all, to the
 * server's 'request' listener (the full pipeline), in the same suppressed context as before.
 * Every other request and every other event goes through the instrumented `emit` untouched.
 */
export function dispatchRoutineRequestsUntraced(
  server: Server,
  fastPaths: (fallback: RequestListener) => RequestListener,
): void {
  // Server's emit is typed per event; here it is passed through whatever the event.
  type Emit = (this: Server, event: string | symbol, ...args: unknown[]) => boolean;
  const instrumentedEmit = server.emit as Emit;
  const routine = fastPaths((req, res) => {
    instrumentedEmit.call(server, 'request', req, res);
  });
  // An own property: http.Server.prototype.emit (OpenTelemetry's wrapper) stays as it is.
  const emit: Emit = function (event, ...args) {
    if (event === 'request' && isRoutineRequest(args[0] as IncomingMessage)) {
      routine(args[0] as Parameters<RequestListener>[0], args[1] as Parameters<RequestListener>[1]);
      return true;
    }
    return instrumentedEmit.apply(this, [event, ...args]);
  };
  server.emit = emit as Server['emit'];
}
