import { z } from 'zod';

/** A zod schema as an OpenAPI schema object, so the docs show the same rules the edge enforces. */
export function openApiSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    unrepresentable: 'any',
    io: 'input',
  }) as Record<string, unknown>;
  return rest;
}
