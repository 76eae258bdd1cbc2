import { cookies } from 'next/headers';
import { REGISTRY_TIMEOUT_MS, SESSION_COOKIE, registryUrl } from '../../../lib/config';
import { forbiddenCrossOrigin, isSameOrigin } from '../../../lib/same-origin';

export const dynamic = 'force-dynamic';

/** Sign in: asks the registry for a session and keeps its token in an httpOnly cookie. */
export async function POST(request: Request): Promise<Response> {
  if (!isSameOrigin(request)) return forbiddenCrossOrigin();
  let credentials: { username?: unknown; password?: unknown };
  try {
    credentials = (await request.json()) as typeof credentials;
  } catch {
    return Response.json(
      { statusCode: 400, error: 'Bad Request', message: 'expected JSON' },
      { status: 400 },
    );
  }
  let upstream: Response;
  try {
    upstream = await fetch(`${registryUrl()}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: credentials.username, password: credentials.password }),
      cache: 'no-store',
      signal: AbortSignal.timeout(REGISTRY_TIMEOUT_MS),
    });
  } catch (error) {
    return Response.json(
      { statusCode: 502, error: 'Bad Gateway', message: `registry unreachable: ${(error as Error).message}` },
      { status: 502 },
    );
  }
  const body = (await upstream.json().catch(() => ({}))) as {
    token?: string;
    expiresAt?: string;
    user?: unknown;
    message?: string;
  };
  if (!upstream.ok || typeof body.token !== 'string') {
    const headers = new Headers();
    const retryAfter = upstream.headers.get('retry-after');
    if (retryAfter) headers.set('retry-after', retryAfter);
    return Response.json(
      { statusCode: upstream.status, message: body.message ?? upstream.statusText },
      { status: upstream.ok ? 502 : upstream.status, headers },
    );
  }
  const expires = body.expiresAt ? new Date(body.expiresAt) : undefined;
  (await cookies()).set(SESSION_COOKIE, body.token, {
    httpOnly: true,
    sameSite: 'strict',
    secure: new URL(request.url).protocol === 'https:',
    path: '/',
    expires,
  });
  return Response.json({ user: body.user, expiresAt: body.expiresAt });
}
