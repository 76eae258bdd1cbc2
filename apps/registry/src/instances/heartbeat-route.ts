// No imports: tracing.ts may load this before OpenTelemetry has patched the modules it instruments.

/** The Express route pattern of PUT .../heartbeat, the metrics' route label. */
export const HEARTBEAT_ROUTE = '/v1/namespaces/:ns/services/:svc/instances/:id/heartbeat';

/** The canonical form only; anything else (encoded names, a query...) goes the full way. */
const HEARTBEAT_PATH =
  /^\/v1\/namespaces\/([a-z0-9._-]+)\/services\/([a-z0-9._-]+)\/instances\/([A-Za-z0-9._:-]+)\/heartbeat$/;

/** Which instance a heartbeat renews. */
export interface HeartbeatTarget {
  ns: string;
  svc: string;
  id: string;
}

/**
 * The instance a PUT's URL renews, when it is in the canonical form (the names still have to
 * pass their schemas); undefined for anything else.
 */
export function matchHeartbeat(
  method: string | undefined,
  url: string | undefined,
): HeartbeatTarget | undefined {
  if (method !== 'PUT' || url === undefined) return undefined;
  const match = HEARTBEAT_PATH.exec(url);
  return match ? { ns: match[1], svc: match[2], id: match[3] } : undefined;
}
