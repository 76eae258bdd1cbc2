import { request } from 'node:http';

const HTTP_PROBE_TIMEOUT_MS = 1_000;

/** GET url and return status and body; rejects on connection errors and timeouts. */
export function httpGet(
  url: string,
  timeoutMs = HTTP_PROBE_TIMEOUT_MS,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

const POLL_INTERVAL_MS = 100;

/** Thrown by a waitUntil check when waiting longer cannot help (the process exited). */
export class WaitAbandoned extends Error {}

/**
 * Polls `check` until it returns true; rejects after `timeoutMs` with `what` and the reason of
 * the last failure, or at once when `check` throws WaitAbandoned.
 */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      if (error instanceof WaitAbandoned) throw error;
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
      );
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}
