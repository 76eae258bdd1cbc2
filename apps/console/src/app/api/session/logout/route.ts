import { cookies } from 'next/headers';
import { REGISTRY_TIMEOUT_MS, SESSION_COOKIE, registryUrl } from '../../../../lib/config';
import { forbiddenCrossOrigin, isSameOrigin } from '../../../../lib/same-origin';

export const dynamic = 'force-dynamic';

/** Sign out: ends the registry session, drops the cookie and goes to the sign-in page. */
export async function POST(request: Request): Promise<Response> {
  if (!isSameOrigin(request)) return forbiddenCrossOrigin();
  const jar = await cookies();
  const token = jar.get(SESSION_COOKIE)?.value;
  if (token) {
    await fetch(`${registryUrl()}/v1/auth/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      cache: 'no-store',
      signal: AbortSignal.timeout(REGISTRY_TIMEOUT_MS),
    }).catch(() => undefined);
  }
  jar.delete(SESSION_COOKIE);
  return new Response(null, { status: 303, headers: { location: '/login' } });
}
