import { cookies } from 'next/headers';
import { SESSION_COOKIE, registryUrl } from '../../../../lib/config';
import { forbiddenCrossOrigin, isSameOrigin } from '../../../../lib/same-origin';

export const dynamic = 'force-dynamic';

/** The largest body the console forwards (policies are small; the registry has its own limit). */
const MAX_FORWARDED_BODY_BYTES = 1024 * 1024;

/*
 * The browser's way to the registry: /api/registry/v1/... is forwarded with the session token
 * from the httpOnly cookie, so the token never reaches page scripts. Streams pass through, which
 * is how the service page follows the registry's Server-Sent Events watch.
 */
async function forward(
  request: Request,
  context: { params: Promise<{ path: string[] }> },
): Promise<Response> {
  const { path } = await context.params;
  const method = request.method.toUpperCase();
  // The registry's Prometheus text, read by the cluster page's charts (read-only).
  const metrics = path.length === 1 && path[0] === 'metrics' && (method === 'GET' || method === 'HEAD');
  if ((!metrics && (path[0] !== 'v1' || path[1] === 'auth')) || path.some((s) => s === '..' || s === '.')) {
    return Response.json(
      { statusCode: 404, error: 'Not Found', message: 'not a registry API path' },
      { status: 404 },
    );
  }
  if (method !== 'GET' && method !== 'HEAD' && !isSameOrigin(request)) return forbiddenCrossOrigin();

  const target = new URL(`${registryUrl()}/${path.map(encodeURIComponent).join('/')}`);
  target.search = new URL(request.url).search;
  const headers = new Headers();
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  if (token) headers.set('authorization', `Bearer ${token}`);
  for (const name of ['accept', 'content-type', 'last-event-id']) {
    const value = request.headers.get(name);
    if (value) headers.set(name, value);
  }
  let body: ArrayBuffer | undefined;
  if (method !== 'GET' && method !== 'HEAD') {
    body = await request.arrayBuffer();
    if (body.byteLength > MAX_FORWARDED_BODY_BYTES) {
      return Response.json(
        { statusCode: 413, error: 'Payload Too Large', message: 'body too large' },
        { status: 413 },
      );
    }
  }
  let upstream: Response;
  try {
    upstream = await fetch(target, { method, headers, body, cache: 'no-store', signal: request.signal });
  } catch (error) {
    return Response.json(
      { statusCode: 502, error: 'Bad Gateway', message: `registry unreachable: ${(error as Error).message}` },
      { status: 502 },
    );
  }
  const out = new Headers();
  for (const name of ['content-type', 'cache-control', 'retry-after', 'www-authenticate']) {
    const value = upstream.headers.get(name);
    if (value) out.set(name, value);
  }
  if (out.get('content-type')?.startsWith('text/event-stream')) {
    out.set('cache-control', 'no-cache, no-transform');
    out.set('x-accel-buffering', 'no');
  }
  return new Response(upstream.body, { status: upstream.status, headers: out });
}

export { forward as GET, forward as POST, forward as PUT, forward as PATCH, forward as DELETE };
