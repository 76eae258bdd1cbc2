import { connect, type Socket } from 'node:net';

/** What every answer must be, checked without parsing its body. */
export interface ExpectedAnswer {
  readonly status: number;
  /** The body's length in bytes (the Content-Length header). */
  readonly bodyBytes: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');
/** Each connection reads into one buffer of its own, reused for every read (libuv's default size). */
const READ_BUFFER_BYTES = 64 * 1024;
const CONTENT_LENGTH = /\r\ncontent-length:\s*(\d+)/i;

/**
 * One keep-alive HTTP/1.1 connection sending one prebuilt GET at a time. It reads the status
 * line and Content-Length and counts the body's bytes without decoding them, so a 35 KB answer
 * costs the load generator a few copies rather than a string and a JSON parse: what the bench
 * measures is the server, not the client. Reads land in a buffer the connection keeps (net's
 * `onread`) rather than a new 64 KB buffer per read, so the generator makes almost no garbage:
 * its GC pauses would otherwise count as the server's latency.
 */
class GetConnection {
  private readonly socket: Socket;
  private pending: { resolve: () => void; reject: (error: Error) => void } | undefined;
  /** The start of a head split over reads (a copy: the read buffer is reused). */
  private head: Buffer[] = [];
  /** Body bytes still to come; -1 while reading the head. */
  private bodyLeft = -1;
  private failed: Error | undefined;

  constructor(
    port: number,
    host: string,
    private readonly request: Buffer,
    private readonly expected: ExpectedAnswer,
  ) {
    this.socket = connect({
      port,
      host,
      noDelay: true,
      onread: {
        buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES),
        callback: (bytes: number, buffer: Uint8Array): boolean => {
          this.onData(Buffer.from(buffer.buffer, buffer.byteOffset, bytes));
          return true; // keep reading
        },
      },
    });
    this.socket.on('error', (error) => this.fail(error));
    this.socket.on('close', () => this.fail(new Error('connection closed by the server')));
  }

  get(): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.socket.write(this.request);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(received: Buffer): void {
    let chunk = received;
    if (this.bodyLeft < 0) {
      const buffered = this.head.length === 0 ? chunk : Buffer.concat([...this.head, chunk]);
      const end = buffered.indexOf(HEADER_END);
      if (end < 0) {
        // The read buffer is reused: a partial head is kept as a copy.
        this.head = [Buffer.from(buffered)];
        return;
      }
      const head = buffered.toString('latin1', 0, end);
      this.head = [];
      const status = Number(head.slice(9, 12));
      const length = CONTENT_LENGTH.exec(head);
      if (status !== this.expected.status || !length || Number(length[1]) !== this.expected.bodyBytes) {
        this.fail(
          new Error(
            `expected ${this.expected.status} with ${this.expected.bodyBytes} body bytes, got: ${head.split('\r\n', 1)[0]} content-length ${length?.[1]}`,
          ),
        );
        return;
      }
      this.bodyLeft = Number(length[1]);
      chunk = buffered.subarray(end + HEADER_END.length);
    }
    this.bodyLeft -= chunk.length;
    if (this.bodyLeft > 0) return;
    if (this.bodyLeft < 0) {
      this.fail(new Error('more bytes than the answer announced (no request was pipelined)'));
      return;
    }
    this.bodyLeft = -1;
    const done = this.pending;
    this.pending = undefined;
    done?.resolve();
  }

  private fail(error: Error): void {
    this.failed ??= error;
    const done = this.pending;
    this.pending = undefined;
    done?.reject(error);
    this.socket.destroy();
  }
}

/**
 * A pool of `size` connections sending the same GET; `get()` uses an idle connection or waits
 * for one (first come, first served), so an open-loop caller sees the queueing in its latency.
 */
export class HttpGetPool {
  private readonly idle: GetConnection[];
  private readonly waiting: ((connection: GetConnection) => void)[] = [];
  private readonly all: GetConnection[];

  /** `headers` go in every request as they are (name: value). */
  constructor(
    baseUrl: string,
    path: string,
    size: number,
    expected: ExpectedAnswer,
    headers: Readonly<Record<string, string>> = {},
  ) {
    const url = new URL(baseUrl);
    const extra = Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    const request = Buffer.from(
      `GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: keep-alive\r\n${extra}\r\n`,
    );
    this.all = Array.from(
      { length: size },
      () => new GetConnection(Number(url.port), url.hostname, request, expected),
    );
    this.idle = [...this.all];
  }

  async get(): Promise<void> {
    const connection = this.idle.pop() ?? (await new Promise<GetConnection>((r) => this.waiting.push(r)));
    try {
      await connection.get();
    } finally {
      const next = this.waiting.shift();
      if (next) next(connection);
      else this.idle.push(connection);
    }
  }

  close(): void {
    for (const connection of this.all) connection.close();
  }
}
