import type { RetryCondition } from '@skyroad/governance';

const CONNECT_FAILURE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Classifies an error thrown by fetch as one of the policy's retry conditions. */
export function classifyFetchError(error: unknown): Exclude<RetryCondition, '5xx' | 'timeout'> {
  let cause: unknown = error;
  for (let depth = 0; depth < 5 && cause instanceof Error; depth++) {
    const code = (cause as Error & { code?: unknown }).code;
    if (typeof code === 'string' && CONNECT_FAILURE_CODES.has(code)) return 'connect-failure';
    cause = cause.cause;
  }
  return 'reset';
}
