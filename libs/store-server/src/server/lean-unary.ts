import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { status as Status } from '@grpc/grpc-js';
import { toServiceError } from '../grpc/call-context';
import type { StreamClaim } from './grpc-stream-hook';
import { respondInOneWrite, Trailers } from './one-write-response';

/*
 * The hot unary calls answered straight on node:http2 streams, as grpc-js's server answers
 * them (same statuses, messages and headers), without grpc-js's per-call machinery
 * (interceptors, Metadata, call objects) and with headers, message and trailers in one socket
 * write (see one-write-response): grpc-js sends the trailers from the write callback of the
 * message, a second write that costs the client, which needs the trailers to finish the call,
 * and the server a second wakeup.
 *
 * Only the ordinary case is taken: a known method, a gRPC content type, no message encoding
 * but identity, a well-formed grpc-timeout. Anything else is declined before a byte is read
 * and grpc-js answers it as it always did.
 */

/** One method: the same (de)serializers grpc-js uses for it, and the call behind it. */
export interface LeanMethod {
  deserialize(bytes: Buffer): unknown;
  serialize(value: unknown): Buffer;
  /** Resolves the caller from the token and runs the handler; may throw or reject. */
  run(request: unknown, token: string | undefined): Promise<unknown>;
}

export interface LeanUnaryLimits {
  /** grpc-js's grpc.max_receive_message_length. */
  maxReceiveBytes: number;
  /** grpc-js's grpc.max_send_message_length. */
  maxSendBytes: number;
}

interface CallStatus {
  code: number;
  details: string;
}

/** The metadata key etcd clients send the auth token in. */
const TOKEN_HEADER = 'token';
/** gRPC's message prefix: a compressed flag and a big-endian length. */
const FRAME_PREFIX_BYTES = 5;
/** grpc-js's parser of grpc-timeout (unanchored, as there) and its units in milliseconds. */
const TIMEOUT_PATTERN = /(\d{1,8})\s*([HMSmun])/;
const TIMEOUT_UNIT_MS: Record<string, number> = {
  H: 3_600_000,
  M: 60_000,
  S: 1000,
  m: 1,
  u: 0.001,
  n: 0.000001,
};
/** grpc-js drops metadata values outside printable ASCII. */
const LEGAL_METADATA_VALUE = /^[ -~]*$/;
/** As grpc-js: its error details only when this is set. */
const SEND_ERROR_DETAILS = process.env.GRPC_NODE_DEBUG_SEND_ERROR_DETAILS === 'true';
const CONTENT_TYPE = 'application/grpc+proto';
const OK_TRAILERS = new Trailers({ 'grpc-status': String(Status.OK), 'grpc-message': 'OK' });
const okHeaders = () => ({
  ':status': 200,
  'content-type': CONTENT_TYPE,
  'grpc-accept-encoding': 'identity,deflate,gzip',
  'grpc-encoding': 'identity',
});
const noop = () => undefined;

/** Serves the lean methods; `claim` is handed to createHookedInjector. */
export class LeanUnary {
  /** Calls this path has taken (tests use it to see that the fast path answered). */
  claimed = 0;

  constructor(
    private readonly methods: ReadonlyMap<string, LeanMethod>,
    private readonly limits: LeanUnaryLimits,
  ) {}

  readonly claim: StreamClaim = (stream, headers) => {
    const path = headers[':path'];
    const method = path === undefined ? undefined : this.methods.get(path);
    if (!method) return false;
    const contentType = headers['content-type'];
    if (typeof contentType !== 'string' || !contentType.startsWith('application/grpc')) return false;
    const encoding = headers['grpc-encoding'];
    if (encoding !== undefined && encoding !== 'identity') return false;
    const timeout = headers['grpc-timeout'];
    const timeoutMs = timeout === undefined ? undefined : parseTimeoutMs(timeout);
    if (timeoutMs === null) return false;
    this.claimed++;
    new LeanCall(stream, path as string, method, tokenOf(headers), this.limits).start(timeoutMs);
    return true;
  };
}

/** grpc-js's deadline in ms, or null when grpc-js would refuse the value (it answers those). */
function parseTimeoutMs(value: string | string[]): number | null {
  if (typeof value !== 'string' || !LEGAL_METADATA_VALUE.test(value)) return null;
  const match = TIMEOUT_PATTERN.exec(value);
  return match ? (Number(match[1]) * TIMEOUT_UNIT_MS[match[2]]) | 0 : null;
}

/** The first `token` value, as callerOf reads it from grpc-js's Metadata. */
function tokenOf(headers: IncomingHttpHeaders): string | undefined {
  const value = headers[TOKEN_HEADER];
  const first = Array.isArray(value) ? value[0] : value;
  return first !== undefined && LEGAL_METADATA_VALUE.test(first) ? first : undefined;
}

/** grpc-js percent-encodes grpc-message with encodeURI; a lone surrogate would make that throw. */
function encodeMessage(details: string): string {
  try {
    return encodeURI(details);
  } catch {
    return encodeURI(details.replace(/[\uD800-\uDFFF]/g, '\uFFFD'));
  }
}

/**
 * The status of a failed call: etcd's (toServiceError), then as grpc-js reads what a handler
 * passes to its callback (serverErrorToStatus).
 */
function statusOf(error: unknown): CallStatus {
  const status = toServiceError(error);
  return { code: status.code ?? Status.UNKNOWN, details: status.details ?? 'Unknown Error' };
}

/** grpc-js's INTERNAL status for a message it could not (de)serialize. */
function codecFailure(what: string, error: unknown): CallStatus {
  const details = SEND_ERROR_DETAILS ? `Error ${what}: ${(error as Error).message}` : `Error ${what}`;
  return { code: Status.INTERNAL, details };
}

class LeanCall {
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;
  /** Length of the framed message being read (prefix included), once its prefix is in. */
  private frameBytes = -1;
  private message: Buffer | undefined;
  private finished = false;
  private deadline: NodeJS.Timeout | undefined;

  constructor(
    private readonly stream: ServerHttp2Stream,
    private readonly path: string,
    private readonly method: LeanMethod,
    private readonly token: string | undefined,
    private readonly limits: LeanUnaryLimits,
  ) {}

  start(timeoutMs: number | undefined): void {
    const stream = this.stream;
    // Every stream error is followed by 'close'; without a listener it would be thrown.
    stream.on('error', noop);
    stream.once('close', () => this.settle());
    stream.on('data', (chunk: Buffer) => this.receive(chunk));
    stream.once('end', () => this.halfClosed());
    if (timeoutMs !== undefined) {
      this.deadline = setTimeout(
        () => this.fail({ code: Status.DEADLINE_EXCEEDED, details: 'Deadline exceeded' }),
        timeoutMs,
      );
    }
  }

  /** Splits the body into gRPC messages as they arrive, refusing an oversized one at once. */
  private receive(chunk: Buffer): void {
    if (this.finished) return; // answered early: the rest of the body is drained and dropped
    this.chunks.push(chunk);
    this.bufferedBytes += chunk.length;
    for (;;) {
      if (this.frameBytes < 0) {
        if (this.bufferedBytes < FRAME_PREFIX_BYTES) return;
        const prefix = this.chunks[0].length >= FRAME_PREFIX_BYTES ? this.chunks[0] : this.joinChunks();
        const length = prefix.readUInt32BE(1);
        if (this.limits.maxReceiveBytes !== -1 && length > this.limits.maxReceiveBytes) {
          this.fail({
            code: Status.RESOURCE_EXHAUSTED,
            details: `Received message larger than max (${length} vs ${this.limits.maxReceiveBytes})`,
          });
          return;
        }
        this.frameBytes = FRAME_PREFIX_BYTES + length;
      }
      if (this.bufferedBytes < this.frameBytes) return;
      const all = this.chunks.length === 1 ? this.chunks[0] : this.joinChunks();
      const frame = all.subarray(0, this.frameBytes);
      const rest = all.subarray(this.frameBytes);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.bufferedBytes = rest.length;
      this.frameBytes = -1;
      if (this.message) {
        this.fail({
          code: Status.UNIMPLEMENTED,
          details: `Received a second request message for server streaming method ${this.path}`,
        });
        return;
      }
      this.message = frame;
    }
  }

  private joinChunks(): Buffer {
    const joined = Buffer.concat(this.chunks, this.bufferedBytes);
    this.chunks = [joined];
    return joined;
  }

  /** The client sent all of its request: decode it and run the call. */
  private halfClosed(): void {
    if (this.finished) return;
    if (!this.message) {
      this.fail({
        code: Status.UNIMPLEMENTED,
        details: `Received no request message for server streaming method ${this.path}`,
      });
      return;
    }
    // A set compressed flag with identity encoding is read as plain bytes, as grpc-js does.
    let request: unknown;
    try {
      request = this.method.deserialize(this.message.subarray(FRAME_PREFIX_BYTES));
    } catch (error) {
      this.fail(codecFailure('deserializing request', error));
      return;
    }
    this.message = undefined;
    let answer: Promise<unknown>;
    try {
      answer = this.method.run(request, this.token);
    } catch (error) {
      this.fail(statusOf(error));
      return;
    }
    answer.then(
      (response) => this.succeed(response),
      (error: unknown) => this.fail(statusOf(error)),
    );
  }

  /** Headers, message and trailers queued together, so they leave in one write. */
  private succeed(response: unknown): void {
    if (this.isOver()) return;
    let body: Buffer;
    try {
      body = this.method.serialize(response);
    } catch (error) {
      this.fail(codecFailure('serializing response', error));
      return;
    }
    if (this.limits.maxSendBytes !== -1 && body.length > this.limits.maxSendBytes) {
      this.fail({
        code: Status.RESOURCE_EXHAUSTED,
        details: `Sent message larger than max (${body.length + FRAME_PREFIX_BYTES} vs. ${this.limits.maxSendBytes})`,
      });
      return;
    }
    const framed = Buffer.allocUnsafe(FRAME_PREFIX_BYTES + body.length);
    framed[0] = 0;
    framed.writeUInt32BE(body.length, 1);
    body.copy(framed, FRAME_PREFIX_BYTES);
    this.settle();
    try {
      respondInOneWrite(this.stream, okHeaders(), framed, OK_TRAILERS);
    } catch {
      // the stream closed under us (a reset, the session going away): nothing to answer
    }
  }

  /** A trailers-only response (status in the headers, stream ended), as grpc-js answers errors. */
  private fail(status: CallStatus): void {
    if (this.isOver()) return;
    this.settle();
    try {
      this.stream.respond(
        {
          ':status': 200,
          'content-type': CONTENT_TYPE,
          'grpc-status': String(status.code),
          'grpc-message': encodeMessage(status.details),
        },
        { endStream: true },
      );
    } catch {
      // the stream closed under us: nothing to answer
    }
  }

  private isOver(): boolean {
    return this.finished || this.stream.destroyed || this.stream.closed || this.stream.headersSent;
  }

  /** No more answers: the call was answered, or the stream closed (the client went away). */
  private settle(): void {
    this.finished = true;
    this.chunks = [];
    this.message = undefined;
    if (this.deadline) clearTimeout(this.deadline);
    this.deadline = undefined;
  }
}
