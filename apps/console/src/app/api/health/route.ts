export const dynamic = 'force-dynamic';

/** Liveness for the launcher and container health checks: the console process answers. */
export function GET(): Response {
  return Response.json({ status: 'ok' });
}
