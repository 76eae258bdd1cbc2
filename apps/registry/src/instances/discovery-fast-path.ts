import { serviceParamsSchema } from '@skyroad/registry-core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fastPath, guardRequest, type FastPathDeps, type RequestListener } from '../common/fast-path';
import { requestId } from '../common/request-id';
import { sendSerialized } from '../common/send-serialized';
import { recordHttpRequest } from '../metrics/http-metrics.middleware';
import { INSTANCES_ROUTE, matchInstancesQuery, type InstancesQuery } from './discovery-route';

/**
 * GET /v1/namespaces/{ns}/services/{svc}/instances without the Express/Nest pipeline: the
 * registry's most frequent request costs a few µs of framework instead of most of its CPU
 * (router, Nest's pipes and interceptors, pino-http's per-request logger). It keeps what the
 * route promises: the same access guard, the X-Request-Id header, the HTTP metrics, the
 * in-flight count, and the same bytes (the kept answer, gzipped or not, ETag, 304). Only a
 * plain successful answer is served here; any other request, and any request that fails here
 * (401/403 from the guard, 404 namespace, 503...), is handed to `full`, the whole pipeline,
 * which answers it as before (so errors are the same 4xx JSON and logged as before). At debug
 * logging, where a successful discovery GET is logged too, every request goes the full way
 * (pino-http logs it).
 *
 * Returns the request listener to put in front of `full`.
 */
export function discoveryFastPath(deps: FastPathDeps, full: RequestListener): RequestListener {
  return fastPath(
    deps,
    (req) => {
      const query = matchInstancesQuery(req.method, req.url);
      return query && serviceParamsSchema.safeParse({ ns: query.ns, svc: query.svc }).success
        ? query
        : undefined;
    },
    (query, req, res) => answer(deps, query, req, res),
    full,
  );
}

/** Answers the request and says true, or says false having written nothing. */
async function answer(
  deps: FastPathDeps,
  query: InstancesQuery,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  const started = process.hrtime.bigint();
  deps.track(res);
  let list;
  try {
    if (!(await guardRequest(deps.guard, req, res))) return false;
    list = await deps.registry.listSerialized(query.ns, query.svc, query.healthy);
  } catch {
    return false;
  }
  if (res.headersSent || res.destroyed) return true;
  res.setHeader('X-Request-Id', requestId(req));
  sendSerialized(res, list, headerValue(req.headers['if-none-match']), req.headers['accept-encoding']);
  recordHttpRequest(deps.metrics, 'GET', INSTANCES_ROUTE, res.statusCode, started);
  return true;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}
