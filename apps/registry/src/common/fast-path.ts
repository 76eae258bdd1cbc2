import type { ExecutionContext } from '@nestjs/common';
import type { AccessGuard } from '@skyroad/access';
import type { InstanceRegistry } from '@skyroad/registry-core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MetricsService } from '../metrics/metrics.service';
import { routineSuccessesLogged } from './routine-requests';

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** What a fast path needs from the app to keep the route's promises outside Express/Nest. */
export interface FastPathDeps {
  registry: InstanceRegistry;
  guard: AccessGuard;
  metrics: MetricsService;
  /** Counts the request as in flight until it is answered (for the shutdown drain). */
  track(res: ServerResponse): void;
  logLevel: string;
}

/**
 * A request listener that answers the requests `match` recognises with `answer`, and hands
 * everything else to `full` (the Express/Nest pipeline): requests it does not match, and those
 * `answer` declines (it says false having written nothing: a guard refusal, an error to be
 * answered as the pipeline does). At debug logging it is `full` itself, so pino-http logs
 * every request.
 */
export function fastPath<T>(
  deps: FastPathDeps,
  match: (req: IncomingMessage) => T | undefined,
  answer: (target: T, req: IncomingMessage, res: ServerResponse) => Promise<boolean>,
  full: RequestListener,
): RequestListener {
  if (routineSuccessesLogged(deps.logLevel)) return full;
  return (req, res) => {
    const target = match(req);
    if (target === undefined) {
      full(req, res);
      return;
    }
    answer(target, req, res).then(
      (answered) => {
        if (!answered) full(req, res);
      },
      // Only writing the answer can fail here, with the response half written: drop the connection.
      () => res.destroy(),
    );
  };
}

/** The access guard's verdict for a request outside Nest (throws as it does inside). */
export function guardRequest(
  guard: AccessGuard,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  const context = {
    getType: () => 'http',
    switchToHttp: () => ({ getRequest: () => req, getResponse: () => res, getNext: () => undefined }),
  } as unknown as ExecutionContext;
  return Promise.resolve(guard.canActivate(context));
}
