/**
 * A state-changing request made with the session cookie must come from the console's own pages:
 * browsers send Origin on such requests, and it must name this host. (The cookie is also
 * SameSite=Strict; this is the second lock.)
 */
export function isSameOrigin(request: Request): boolean {
  const origin = request.headers.get('origin');
  if (origin === null) return false;
  const host = request.headers.get('x-forwarded-host') ?? request.headers.get('host');
  try {
    return host !== null && new URL(origin).host === host;
  } catch {
    return false;
  }
}

export function forbiddenCrossOrigin(): Response {
  return Response.json(
    { statusCode: 403, error: 'Forbidden', message: 'cross-origin request refused' },
    { status: 403 },
  );
}
