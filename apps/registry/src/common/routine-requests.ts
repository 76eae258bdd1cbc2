import type { IncomingMessage, ServerResponse } from 'node:http';
import { matchInstancesQuery } from '../instances/discovery-route';
import { matchHeartbeat } from '../instances/heartbeat-route';

/**
 * Discovery GETs and heartbeats are most of a registry's traffic (every instance heartbeats
 * every TTL/3; clients poll their services): one info line each would drown the log and cost
 * more CPU than answering. Their successes are logged at debug, like Eureka's and Nacos's
 * renewals, and counted in /metrics; their failures are logged as every other request's.
 */
export function isRoutineRequest(req: IncomingMessage): boolean {
  return (
    matchInstancesQuery(req.method, req.url) !== undefined ||
    matchHeartbeat(req.method, req.url) !== undefined
  );
}

/** pino-http's level for a finished request. */
export function accessLogLevel(
  req: IncomingMessage,
  res: ServerResponse,
  error?: Error,
): 'error' | 'info' | 'debug' {
  if (error || res.statusCode >= 500) return 'error';
  if (res.statusCode < 400 && isRoutineRequest(req)) return 'debug';
  return 'info';
}

/**
 * Whether the fast paths may answer routine requests ahead of Express: only when their
 * successes would not be logged anyway (below debug), since pino-http's logger sits in the
 * Express pipeline.
 */
export function routineSuccessesLogged(logLevel: string): boolean {
  return logLevel === 'debug' || logLevel === 'trace';
}
