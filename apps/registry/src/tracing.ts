// Imported first by main.ts: OpenTelemetry must patch http, express and NestJS before they load.
import { startTelemetry } from '@skyroad/telemetry';
import { matchInstancesQuery } from './instances/discovery-route';
import { matchHeartbeat } from './instances/heartbeat-route';

export const telemetry = startTelemetry({
  serviceName: 'skyroad-registry',
  // Discovery GETs and heartbeats (the registry's most frequent requests, answered without logs
  // or traced calls) are traced only when traces go somewhere.
  tracedOnlyWhenExported: (request) =>
    matchInstancesQuery(request.method, request.url) !== undefined ||
    matchHeartbeat(request.method, request.url) !== undefined,
});
