import type { IncomingHttpHeaders, ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
import * as grpc from '@grpc/grpc-js';

/*
 * grpc-js has no public way to see an HTTP/2 stream before its own call machinery takes it.
 * Its connection injector owns a node:http2 server (kept in the private `http2Servers` map,
 * grpc-js 1.14) whose 'stream' listener starts every call; the server's 'session' listener
 * (keepalive, connection age, session tracking) is separate. Here that one 'stream' listener
 * is replaced by a dispatcher that offers each stream to `claim` first and hands every stream
 * it declines to grpc-js's listener unchanged (nothing read, no listener added), so grpc-js
 * serves those exactly as before. The same server announces each new connection ('session'),
 * which grpc-js gives no way to configure either: `onSession` sees each one.
 */

/** Answers a stream itself (true) or declines it, untouched, to grpc-js (false). */
export type StreamClaim = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => boolean;

/** Sees each new HTTP/2 connection before its first stream. */
export type SessionHook = (session: ServerHttp2Session) => void;

type StreamListener = (this: unknown, ...args: unknown[]) => void;

interface StreamSource {
  listeners(event: 'stream'): StreamListener[];
  removeAllListeners(event: 'stream'): unknown;
  on(event: 'stream', listener: StreamListener): unknown;
  on(event: 'session', listener: SessionHook): unknown;
}

/** What grpc-js keeps privately and we rely on (checked at run time, not trusted). */
interface GrpcServerInternals {
  http2Servers?: unknown;
  /** Counts the stream against the connection's idle timeout, as grpc-js's listener does. */
  onStreamOpened?: (stream: ServerHttp2Stream) => void;
}

export interface HookedInjector {
  injector: ReturnType<grpc.Server['createConnectionInjector']>;
  /** False when grpc-js no longer looks as expected: every stream then goes to grpc-js. */
  hooked: boolean;
  /** False when grpc-js no longer looks as expected: `onSession` then sees nothing. */
  sessionsHooked: boolean;
}

/**
 * An insecure connection injector whose streams are offered to `claim` before grpc-js, and
 * whose new connections are shown to `onSession`.
 */
export function createHookedInjector(
  grpcServer: grpc.Server,
  claim: StreamClaim | undefined,
  onSession?: SessionHook,
): HookedInjector {
  const internals = grpcServer as unknown as GrpcServerInternals;
  const servers =
    internals.http2Servers instanceof Map ? (internals.http2Servers as Map<unknown, unknown>) : undefined;
  const before = new Set(servers?.keys());
  const injector = grpcServer.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const created = [...(servers?.keys() ?? [])].filter((server) => !before.has(server));
  const http2Server = created.length === 1 ? asStreamSource(created[0]) : undefined;
  if (http2Server && onSession) http2Server.on('session', onSession);
  const sessionsHooked = http2Server !== undefined && onSession !== undefined;
  const grpcListeners = http2Server?.listeners('stream') ?? [];
  if (!claim || !http2Server || grpcListeners.length === 0)
    return { injector, hooked: false, sessionsHooked };

  const streamOpened =
    typeof internals.onStreamOpened === 'function' ? internals.onStreamOpened.bind(grpcServer) : undefined;
  http2Server.removeAllListeners('stream');
  http2Server.on('stream', function dispatch(this: unknown, ...args: unknown[]) {
    const [stream, headers] = args as [ServerHttp2Stream, IncomingHttpHeaders];
    if (claim(stream, headers)) {
      streamOpened?.(stream);
      return;
    }
    for (const listener of grpcListeners) listener.apply(this, args);
  });
  return { injector, hooked: true, sessionsHooked };
}

function asStreamSource(value: unknown): StreamSource | undefined {
  const candidate = value as Partial<StreamSource> | null;
  return candidate &&
    typeof candidate.listeners === 'function' &&
    typeof candidate.removeAllListeners === 'function' &&
    typeof candidate.on === 'function'
    ? (candidate as StreamSource)
    : undefined;
}
