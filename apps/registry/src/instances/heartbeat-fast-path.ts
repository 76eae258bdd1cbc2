import { instanceParamsSchema } from '@skyroad/registry-core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fastPath, guardRequest, type FastPathDeps, type RequestListener } from '../common/fast-path';
import { requestId } from '../common/request-id';
import { recordHttpRequest } from '../metrics/http-metrics.middleware';
import { HEARTBEAT_ROUTE, matchHeartbeat, type HeartbeatTarget } from './heartbeat-route';

/**
 * PUT /v1/namespaces/{ns}/services/{svc}/instances/{id}/heartbeat without the Express/Nest
 * pipeline. Every instance sends one every TTL/3, so with many instances heartbeats are most of
 * the registry's requests, and the pipeline (router, Nest's pipes, guards and interceptors,
 * pino-http's per-request logger, res.json) cost several times the renewal itself. It keeps
 * what the route promises: the same access guard, the X-Request-Id header, the HTTP metrics,
 * the in-flight count and the same JSON answer. Only a successful renewal of a request
 * without a body is answered here; anything else, and any heartbeat that fails here (401/403,
 * 404 once expired, 503...), is handed to `full`, the whole pipeline, which answers it as
 * before (a renewal is idempotent, so trying it again there is harmless). At debug logging,
 * where a successful heartbeat is logged too, every request goes the full way.
 *
 * Returns the request listener to put in front of `full`.
 */
export function heartbeatFastPath(deps: FastPathDeps, full: RequestListener): RequestListener {
  return fastPath(
    deps,
    (req) => {
      const target = matchHeartbeat(req.method, req.url);
      return target && !hasBody(req) && instanceParamsSchema.safeParse(target).success ? target : undefined;
    },
    (target, req, res) => answer(deps, target, req, res),
    full,
  );
}

/** A body would have to be read (and its size limited) by the full pipeline. */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Answers the request and says true, or says false having written nothing. */
async function answer(
  deps: FastPathDeps,
  target: HeartbeatTarget,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  const started = process.hrtime.bigint();
  deps.track(res);
  let renewed;
  try {
    if (!(await guardRequest(deps.guard, req, res))) return false;
    renewed = await deps.registry.heartbeat(target.ns, target.svc, target.id);
  } catch {
    return false;
  }
  if (res.headersSent || res.destroyed) return true;
  const body = Buffer.from(JSON.stringify(renewed));
  res.statusCode = 200;
  res.setHeader('X-Request-Id', requestId(req));
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', body.length);
  res.end(body);
  recordHttpRequest(deps.metrics, 'PUT', HEARTBEAT_ROUTE, res.statusCode, started);
  return true;
}
