import type { NextFunction, Request, Response } from 'express';
import type { MetricsService } from './metrics.service';

/** Counts and times one answered request under its route pattern. */
export function recordHttpRequest(
  metrics: MetricsService,
  method: string,
  route: string,
  status: number,
  started: bigint,
): void {
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  metrics.httpRequests.inc({ method, route, status: String(status) });
  metrics.httpDuration.observe({ method, route }, seconds);
}

/** Counts and times every HTTP request by its route pattern (never by its raw path: bounded labels). */
export function httpMetricsMiddleware(metrics: MetricsService) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    let recorded = false;
    const record = () => {
      if (recorded) return;
      recorded = true;
      const routePath = (req.route as { path?: string } | undefined)?.path;
      const route = typeof routePath === 'string' ? routePath : 'unmatched';
      recordHttpRequest(metrics, req.method, route, res.statusCode, started);
    };
    res.once('finish', record);
    res.once('close', record);
    next();
  };
}
