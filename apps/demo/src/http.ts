import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface Reply {
  status?: number;
  json?: unknown;
  html?: string;
}

export type Handler = (request: IncomingMessage, url: URL) => Promise<Reply | undefined>;

/** A tiny JSON/HTML server: the demo services need a handful of routes and nothing more. */
export function serve(host: string, port: number, handler: Handler): Promise<Server> {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', `http://${host}:${port}`);
    handler(request, url).then(
      (reply) => {
        if (!reply) {
          response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
        } else if (reply.html !== undefined) {
          response
            .writeHead(reply.status ?? 200, { 'content-type': 'text/html; charset=utf-8' })
            .end(reply.html);
        } else {
          response
            .writeHead(reply.status ?? 200, { 'content-type': 'application/json' })
            .end(JSON.stringify(reply.json));
        }
      },
      (error: Error) => {
        response
          .writeHead(502, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: error.message }));
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

/** Headers the demo passes along from caller to callee, so routing rules can use them. */
export const FORWARDED_HEADERS = ['x-user-id', 'x-canary'] as const;

export function forwardedHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of FORWARDED_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  return headers;
}
