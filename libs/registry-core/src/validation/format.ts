import type { z } from 'zod';
import { InvalidInputError } from '../errors';

/** Every issue of a zod error as "path: message", the `reasons` of a 400. */
export function zodReasons(error: z.ZodError, root = 'body'): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.length === 0 ? root : issue.path.map((p) => String(p)).join('.');
    return `${path}: ${issue.message}`;
  });
}

/** Parses `input` or throws InvalidInputError with every reason. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, root = 'body'): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new InvalidInputError(zodReasons(result.error, root));
  return result.data;
}
