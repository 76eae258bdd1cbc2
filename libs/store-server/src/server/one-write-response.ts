import type { OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2';

/*
 * A gRPC answer is response headers, one DATA frame and trailers. Node's public HTTP/2 API
 * cannot send those in one socket write, for two reasons in lib/internal/http2/core.js:
 *  1. the stream is a Writable, which calls _final (shutting the writable side, the "no more
 *     data" nghttp2 needs to end the DATA) only after its last write has completed, that is
 *     after nghttp2 has already sent that DATA without knowing it was the last;
 *  2. sendTrailers defers nghttp2_submit_trailer to a setImmediate.
 * So the trailers leave one or two event-loop turns after the message, in a second write,
 * and the client (which needs the trailers to finish the call) wakes up twice.
 *
 * Here the message goes to nghttp2 without waiting for completion (the stream's own _write,
 * its completion ignored) and the writable side is ended at once, so nghttp2's first read of
 * the stream sees the data and the end together; the trailers are then submitted from the
 * 'wantTrailers' event itself, inside that read, which is where nghttp2 says they belong
 * (the earliest point, per nghttp2's maintainer: the data source read callback that sets
 * EOF and NO_END_STREAM). nghttp2 then writes headers, DATA and trailers together.
 *
 * That takes the stream's native handle and the handle's header-list format, internals of
 * Node: they are checked on the first stream and, when they do not look as expected, every
 * answer takes the public API (correct, two writes). `coalescing()` says which is in use.
 */

/** Node versions whose header-list format ("name\0value\0<flags>", count) was checked. */
const VERIFIED_NODE_MAJORS = new Set([20]);
/** nghttp2's NGHTTP2_NV_FLAG_NONE as Node's header list spells it. */
const NO_FLAGS = '\0';

type HeaderList = [string, number];

interface NativeStreamHandle {
  trailers(headers: HeaderList): number;
}

interface StreamInternals {
  handleKey: symbol;
  write: (this: ServerHttp2Stream, chunk: Buffer, encoding: string, done: () => void) => void;
}

/** Trailers to send after a message, prepared once for both ways of sending them. */
export class Trailers {
  readonly list: HeaderList;

  constructor(readonly headers: OutgoingHttpHeaders) {
    const entries = Object.entries(headers);
    this.list = [
      entries.map(([name, value]) => `${name}\0${String(value)}\0${NO_FLAGS}`).join(''),
      entries.length,
    ];
  }
}

let internals: StreamInternals | null | undefined;

/** The internals this Node offers, looked up on the first stream (null: none usable). */
function internalsOf(stream: ServerHttp2Stream): StreamInternals | null {
  if (internals !== undefined) return internals;
  internals = null;
  const major = Number(process.versions.node.split('.')[0]);
  const handleKey = Object.getOwnPropertySymbols(stream).find((key) => key.description === 'kHandle');
  const handle =
    handleKey && (stream as unknown as Record<symbol, Partial<NativeStreamHandle> | undefined>)[handleKey];
  const write = (stream as unknown as { _write?: StreamInternals['write'] })._write;
  if (
    VERIFIED_NODE_MAJORS.has(major) &&
    handleKey &&
    typeof handle?.trailers === 'function' &&
    typeof write === 'function'
  ) {
    internals = { handleKey, write };
  }
  return internals;
}

/** Whether answers go out in one write (known once a first stream was seen). */
export function coalescing(): boolean | undefined {
  return internals === undefined ? undefined : internals !== null;
}

const ignore = () => undefined;

/** Sends `headers`, then `message` as the whole body, then `trailers`; throws if the stream is gone. */
export function respondInOneWrite(
  stream: ServerHttp2Stream,
  headers: OutgoingHttpHeaders,
  message: Buffer,
  trailers: Trailers,
): void {
  const native = internalsOf(stream);
  stream.respond(headers, { waitForTrailers: true });
  if (!native) {
    stream.once('wantTrailers', () => {
      if (stream.destroyed) return;
      try {
        stream.sendTrailers(trailers.headers);
      } catch {
        // the client reset the stream in between: nobody is left to tell
      }
    });
    stream.end(message);
    return;
  }
  const handle = (stream as unknown as Record<symbol, NativeStreamHandle | undefined>)[native.handleKey];
  stream.once('wantTrailers', () => {
    if (stream.destroyed || !handle) return;
    // This runs inside nghttp2's read of the stream: nothing may be thrown from here.
    try {
      if (handle.trailers(trailers.list) < 0) stream.destroy();
    } catch {
      stream.destroy();
    }
  });
  native.write.call(stream, message, 'buffer', ignore);
  stream.end();
}
