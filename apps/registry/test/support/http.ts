/**
 * Answers are checked by the tests' assertions, not by types: bodies are loosely typed.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

/** A JSON answer: status, parsed body (or undefined), headers. */
export interface JsonResponse<T = Loose> {
  status: number;
  body: T;
  headers: Headers;
}

const REQUEST_TIMEOUT_MS = 10_000;

/** One HTTP call with a JSON body (or a raw string body, to send malformed JSON). */
export async function call<T = Loose>(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse<T>> {
  const init: RequestInit = {
    method,
    headers: { ...headers },
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const response = await fetch(url, init);
  const text = await response.text();
  let parsed: unknown = undefined;
  if (text.length > 0) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  return { status: response.status, body: parsed as T, headers: response.headers };
}
