import { BadRequestException } from '@nestjs/common';
import type { z } from 'zod';

/** Parses a request body, or answers 400 with one reason per problem (`field: reason`). */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const reasons = result.error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : 'body';
    return `${path}: ${issue.message}`;
  });
  throw new BadRequestException({
    statusCode: 400,
    error: 'Bad Request',
    message: reasons.join('; '),
    reasons,
  });
}
