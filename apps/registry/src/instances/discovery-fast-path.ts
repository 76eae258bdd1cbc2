import type { ExecutionContext } from '@nestjs/common';
import type { AccessGuard } from '@skyroad/access';
import { serviceParamsSchema, type InstanceRegistry } from '@skyroad/registry-core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestId } from '../common/request-id';
import { routineSuccessesLogged } from '../common/routine-requests';
import { sendSerialized } from '../common/send-serialized';
import { INSTANCES_ROUTE, matchInstancesQuery, type InstancesQuery } from './discovery-route';
import { recordHttpRequest } from '../metrics/http-metrics.middleware';
import type { MetricsService } from '../metrics/metrics.service';

export interface DiscoveryFastPathDeps {
  registry: InstanceRegistry;
  guard: AccessGuard;
  metrics: MetricsService;
  /** Counts the request as in flight until it is answered (for the shutdown drain). */
  track(res: ServerResponse): void;
  logLevel: string;
}

/**
 * GET /v1/namespaces/{ns}/services/{svc}/instances without the Express/Nest pipeline: the
 * registry's most frequent request costs a few µs of framework instead of most of its CPU
 * (router, Nest's pipes and interceptors, pino-http's per-request logger). It keeps what the
 * route promises: the same access guard, the X-Request-Id header, the HTTP metrics, the
 * in-flight count, and the same bytes (the kept answer, ETag, 304). Only a plain successful
 * answer is served here; any other request, and any request that fails here (401/403 from the
 * guard, 404 namespace, 503...), is handed to `full`, the whole pipeline, which answers it as
 * before (so errors are the same 4xx JSON and logged as before). At debug logging, where a
 * successful discovery GET is logged too, every request goes the full way (pino-http logs it).
 *
 * Returns the request listener to put in front of `full`.
 */
export function discoveryFastPath(
  deps: DiscoveryFastPathDeps,
  full: (req: IncomingMessage, res: ServerResponse) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  if (routineSuccessesLogged(deps.logLevel)) return full;
  return (req, res) => {
    const query = matchInstancesQuery(req.method, req.url);
    if (!query || !serviceParamsSchema.safeParse({ ns: query.ns, svc: query.svc }).success) {
      full(req, res);
      return;
    }
    answer(deps, query, req, res).then(
      (answered) => {
        if (!answered) full(req, res);
      },
      // Only writing the answer can fail here, with the response half written: drop the connection.
      () => res.destroy(),
    );
  };
}

/** Answers the request and says true, or says false having written nothing. */
async function answer(
  deps: DiscoveryFastPathDeps,
  query: InstancesQuery,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  const started = process.hrtime.bigint();
  deps.track(res);
  let list;
  try {
    await deps.guard.canActivate(httpContext(req, res));
    list = await deps.registry.listSerialized(query.ns, query.svc, query.healthy);
  } catch {
    return false;
  }
  if (res.headersSent || res.destroyed) return true;
  res.setHeader('X-Request-Id', requestId(req));
  sendSerialized(res, list, headerValue(req.headers['if-none-match']));
  recordHttpRequest(deps.metrics, 'GET', INSTANCES_ROUTE, res.statusCode, started);
  return true;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/** What the guard reads of an ExecutionContext, for a request outside Nest. */
function httpContext(req: IncomingMessage, res: ServerResponse): ExecutionContext {
  return {
    getType: () => 'http',
    switchToHttp: () => ({ getRequest: () => req, getResponse: () => res, getNext: () => undefined }),
  } as unknown as ExecutionContext;
}
