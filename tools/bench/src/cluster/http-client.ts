import { Agent, request, type IncomingHttpHeaders } from 'node:http';

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

export interface RawAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly bytes: Buffer;
}

/** A keep-alive HTTP/1.1 client for load generation: one socket per request in flight. */
export class HttpClient {
  private readonly agent: Agent;

  constructor(
    private readonly base: string,
    maxSockets: number,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  async send(method: string, path: string, body?: unknown): Promise<HttpAnswer> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = payload
      ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }
      : {};
    const answer = await this.exchange(method, path, headers, payload);
    return { status: answer.status, body: answer.bytes.toString() };
  }

  /** A GET with `headers`, its body as sent (not decoded, whatever its Content-Encoding). */
  getRaw(path: string, headers: Readonly<Record<string, string>>): Promise<RawAnswer> {
    return this.exchange('GET', path, headers, undefined);
  }

  private exchange(
    method: string,
    path: string,
    headers: Readonly<Record<string, string>>,
    payload: string | undefined,
  ): Promise<RawAnswer> {
    return new Promise((resolve, reject) => {
      const req = request(`${this.base}${path}`, { method, agent: this.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Like send, but rejects unless the status is `expected`. */
  async expect(expected: number, method: string, path: string, body?: unknown): Promise<HttpAnswer> {
    const answer = await this.send(method, path, body);
    if (answer.status !== expected)
      throw new Error(
        `${method} ${path}: ${answer.status} (expected ${expected}): ${answer.body.slice(0, 300)}`,
      );
    return answer;
  }

  close(): void {
    this.agent.destroy();
  }
}
