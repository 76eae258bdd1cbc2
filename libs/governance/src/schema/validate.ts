import type { z } from 'zod';
import { policySchema, type Policy } from './policy-schema';

export type ValidationResult = { ok: true; policy: Policy } | { ok: false; errors: string[] };

/**
 * Validates a policy document. Every error names the path it is about, e.g.
 * `defaultRoute.destinations: weights must add up to 100 (got 90)`.
 */
export function validatePolicy(input: unknown): ValidationResult {
  const parsed = policySchema.safeParse(input);
  if (parsed.success) return { ok: true, policy: parsed.data };
  const errors = parsed.error.issues.flatMap((issue) => describeIssue(issue, input));
  return { ok: false, errors: [...new Set(errors)] };
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => `${formatPath([...path, key])}: unknown field`);
  }
  if (issue.code === 'invalid_type') {
    const value = valueAt(input, path);
    if (value === undefined) return [`${formatPath(path)}: is required`];
    if (issue.message.startsWith('Invalid input')) {
      const expected = String(issue.expected);
      return [`${formatPath(path)}: must be ${/^[aeiou]/.test(expected) ? 'an' : 'a'} ${expected}`];
    }
  }
  return [`${formatPath(path)}: ${issue.message}`];
}

/** `routes[2].match.headers["x-canary"]` style paths; the document itself is `policy`. */
export function formatPath(path: ReadonlyArray<string | number>): string {
  if (path.length === 0) return 'policy';
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

function valueAt(input: unknown, path: ReadonlyArray<string | number>): unknown {
  let cur: unknown = input;
  for (const part of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[part];
  }
  return cur;
}
