/** Where the registry answers; the console talks to it from the server only. */
export function registryUrl(): string {
  return (process.env['SKYROAD_REGISTRY_URL'] ?? 'http://127.0.0.1:7070').replace(/\/+$/, '');
}

/** The httpOnly cookie that holds the registry session token. */
export const SESSION_COOKIE = 'skyroad_session';

/** How long a server-side call to the registry may take before the page gives up. */
export const REGISTRY_TIMEOUT_MS = 10_000;
