// No imports: tracing.ts loads this before OpenTelemetry has patched the modules it instruments.

/** The Express route pattern of GET .../instances, the metrics' route label. */
export const INSTANCES_ROUTE = '/v1/namespaces/:ns/services/:svc/instances';

/** The canonical form only; anything else (encoded names, a trailing slash...) goes the full way. */
const INSTANCES_PATH = /^\/v1\/namespaces\/([a-z0-9._-]+)\/services\/([a-z0-9._-]+)\/instances$/;
const QUERIES: Record<string, boolean> = { '': false, 'healthy=false': false, 'healthy=true': true };

/** A plain discovery GET: which service, and whether ?healthy=true. */
export interface InstancesQuery {
  ns: string;
  svc: string;
  healthy: boolean;
}

/**
 * The discovery query a GET's URL asks, when it is in the canonical form (the names still
 * have to pass the name schema); undefined for anything else.
 */
export function matchInstancesQuery(
  method: string | undefined,
  url: string | undefined,
): InstancesQuery | undefined {
  if (method !== 'GET' || url === undefined) return undefined;
  const mark = url.indexOf('?');
  const healthy = QUERIES[mark < 0 ? '' : url.slice(mark + 1)];
  if (healthy === undefined) return undefined;
  const match = INSTANCES_PATH.exec(mark < 0 ? url : url.slice(0, mark));
  return match ? { ns: match[1], svc: match[2], healthy } : undefined;
}
