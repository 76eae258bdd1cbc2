import type { IncomingMessage, ServerResponse } from 'node:http';
import { callerFromToken, toServiceError } from '../grpc/call-context';
import { Errors } from '../grpc/errors';
import { leaseHandlers } from '../grpc/lease-service';
import { ETCD_API_VERSION, snapshotWithChecksum } from '../grpc/maintenance-service';
import type { Caller, StoreApi } from '../grpc/store-api';
import { WatchSession } from '../grpc/watch-stream';
import type { WatchRequest } from '../wire/types';
import { httpStatusOf } from './http-status';
import { jsonToWire, wireToJson } from './json-codec';
import { unaryRoutes } from './routes';

/** JSON bodies carry bytes as base64 (4/3 larger), so the edge allows that much plus slack. */
export const GATEWAY_BODY_OVERHEAD_BYTES = 64 * 1024;

export interface GatewayExtras {
  /** GET /health: etcd's {"health":"true"} when this member sees a leader. */
  health(): Promise<{ health: boolean; reason: string }>;
  /** GET /metrics in Prometheus text format. */
  metrics(): Promise<{ contentType: string; body: string }>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(Errors.requestTooLarge());
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, error: unknown): void {
  if (error instanceof HttpError)
    return sendJson(res, error.status, { error: error.message, message: error.message });
  const status = toServiceError(error);
  const code = status.code ?? 2;
  if (res.headersSent) {
    res.end(
      JSON.stringify({ error: { grpc_code: code, http_code: httpStatusOf(code), message: status.details } }),
    );
    return;
  }
  sendJson(res, httpStatusOf(code), { error: status.details, message: status.details, code });
}

/** etcd's JSON gateway (/v3/...), /health, /version and /metrics, on the client port. */
export class HttpGateway {
  private readonly routes;
  private readonly lease;

  constructor(
    private readonly api: StoreApi,
    private readonly extras: GatewayExtras,
  ) {
    this.routes = unaryRoutes(api);
    this.lease = leaseHandlers(api);
  }

  handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.dispatch(req, res).catch((error: unknown) => sendError(res, error));
  };

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0].replace(/^\/v3beta\/|^\/v3alpha\//, '/v3/');
    if (req.method === 'GET' && path === '/health') {
      const h = await this.extras.health();
      return sendJson(res, h.health ? 200 : 503, { health: String(h.health), reason: h.reason });
    }
    if (req.method === 'GET' && path === '/version') {
      return sendJson(res, 200, { etcdserver: ETCD_API_VERSION, etcdcluster: ETCD_API_VERSION });
    }
    if (req.method === 'GET' && path === '/metrics') {
      const m = await this.extras.metrics();
      res.writeHead(200, { 'content-type': m.contentType });
      res.end(m.body);
      return;
    }
    if (!path.startsWith('/v3/')) throw new HttpError(404, `no such path ${path}`);
    if (req.method !== 'POST') throw new HttpError(405, `${req.method} is not allowed on ${path}; use POST`);
    const body = await readBody(req, this.api.maxRequestBytes * 2 + GATEWAY_BODY_OVERHEAD_BYTES);
    let json: unknown;
    try {
      json = body.length > 0 ? JSON.parse(body.toString('utf8')) : {};
    } catch {
      throw new HttpError(400, 'request body is not valid JSON');
    }
    const token = req.headers.authorization;
    const route = this.routes.get(path);
    if (route) {
      const caller = route.open ? {} : callerFromToken(this.api, token);
      const wireReq = jsonToWire(route.request, json);
      const response = await route.call(wireReq as never, caller);
      return sendJson(res, 200, wireToJson(route.response, response));
    }
    const caller = callerFromToken(this.api, token);
    if (path === '/v3/watch') return this.watch(req, res, json, caller);
    if (path === '/v3/lease/keepalive') {
      const { ID } = jsonToWire<{ ID: string }>('etcdserverpb.LeaseKeepAliveRequest', json);
      const response = await this.lease.keepAliveOnce(String(ID));
      return sendJson(res, 200, { result: wireToJson('etcdserverpb.LeaseKeepAliveResponse', response) });
    }
    if (path === '/v3/maintenance/snapshot') {
      if (!this.api.isAdmin(caller)) throw Errors.permissionDenied();
      const { revision, data } = await snapshotWithChecksum(this.api);
      const response = { header: this.api.header(revision), remaining_bytes: 0, blob: data };
      return sendJson(res, 200, { result: wireToJson('etcdserverpb.SnapshotResponse', response) });
    }
    throw new HttpError(404, `no such path ${path}`);
  }

  /** A watch over HTTP: one request creates it, responses stream back as JSON lines. */
  private watch(req: IncomingMessage, res: ServerResponse, json: unknown, caller: Caller): void {
    res.writeHead(200, { 'content-type': 'application/json' });
    const stream = new WatchSession(this.api, caller, (response) => {
      const line = `${JSON.stringify({ result: wireToJson('etcdserverpb.WatchResponse', response) })}\n`;
      if (!res.write(line)) return new Promise((resolve) => res.once('drain', () => resolve()));
    });
    stream.handle(jsonToWire<WatchRequest>('etcdserverpb.WatchRequest', json));
    const close = () => stream.close();
    req.on('close', close);
    res.on('close', close);
  }
}
