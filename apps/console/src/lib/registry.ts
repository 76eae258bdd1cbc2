import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { REGISTRY_TIMEOUT_MS, SESSION_COOKIE, registryUrl } from './config';
import type { RegistryError } from './registry-types';

export type RegistryAnswer<T> =
  { ok: true; status: number; body: T } | { ok: false; status: number; error: RegistryError };

export async function sessionToken(): Promise<string | undefined> {
  return (await cookies()).get(SESSION_COOKIE)?.value;
}

/** A call from a server component to the registry, carrying the session token. */
export async function callRegistry<T>(path: string, init: RequestInit = {}): Promise<RegistryAnswer<T>> {
  const token = await sessionToken();
  const headers = new Headers(init.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  let response: Response;
  try {
    response = await fetch(registryUrl() + path, {
      ...init,
      headers,
      cache: 'no-store',
      signal: AbortSignal.timeout(REGISTRY_TIMEOUT_MS),
    });
  } catch (error) {
    return {
      ok: false,
      status: 502,
      error: {
        statusCode: 502,
        error: 'Bad Gateway',
        message: `registry unreachable: ${(error as Error).message}`,
      },
    };
  }
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON (e.g. /metrics)
  }
  if (response.ok) return { ok: true, status: response.status, body: body as T };
  const error =
    body && typeof body === 'object'
      ? (body as RegistryError)
      : { statusCode: response.status, message: typeof body === 'string' ? body : response.statusText };
  return { ok: false, status: response.status, error };
}

/** Like callRegistry, but an unauthenticated answer sends the person to the sign-in page. */
export async function readRegistry<T>(path: string, returnTo: string): Promise<RegistryAnswer<T>> {
  const answer = await callRegistry<T>(path);
  if (!answer.ok && answer.status === 401) redirect(`/login?next=${encodeURIComponent(returnTo)}`);
  return answer;
}
