import { z } from 'zod';
import {
  DEFAULT_AUDIT_PAGE_ROWS,
  MAX_AUDIT_PAGE_ROWS,
  MAX_METADATA_BYTES,
  MAX_METADATA_KEYS,
  MAX_PORT,
  MAX_TTL_SECONDS,
  MAX_WEIGHT,
  MIN_PORT,
  MIN_TTL_SECONDS,
  MIN_WEIGHT,
} from '../limits';
import { hostSchema, instanceIdSchema, nameSchema } from './names';

export const metadataSchema = z
  .record(z.string(), z.string({ error: 'metadata values must be strings' }))
  .refine((m) => Object.keys(m).length <= MAX_METADATA_KEYS, `at most ${MAX_METADATA_KEYS} keys`)
  .refine(
    (m) => Buffer.byteLength(JSON.stringify(m), 'utf8') <= MAX_METADATA_BYTES,
    `at most ${MAX_METADATA_BYTES} bytes as JSON`,
  );

const weightSchema = z.number().int().min(MIN_WEIGHT).max(MAX_WEIGHT);

export const registerInstanceSchema = z.strictObject({
  host: hostSchema,
  port: z.number().int().min(MIN_PORT).max(MAX_PORT),
  id: instanceIdSchema.optional(),
  weight: weightSchema.optional(),
  metadata: metadataSchema.optional(),
  ttl: z.number().int().min(MIN_TTL_SECONDS).max(MAX_TTL_SECONDS).optional(),
});
export type RegisterInstanceInput = z.output<typeof registerInstanceSchema>;

export const patchInstanceSchema = z
  .strictObject({
    weight: weightSchema.optional(),
    enabled: z.boolean().optional(),
    metadata: metadataSchema.optional(),
  })
  .refine((p) => p.weight !== undefined || p.enabled !== undefined || p.metadata !== undefined, {
    message: 'give at least one of weight, enabled, metadata',
  });
export type PatchInstanceInput = z.output<typeof patchInstanceSchema>;

export const createNamespaceSchema = z.strictObject({ name: nameSchema });

export const rollbackSchema = z.strictObject({ version: z.number().int().min(1) });

export const serviceParamsSchema = z.object({ ns: nameSchema, svc: nameSchema });
export const instanceParamsSchema = z.object({ ns: nameSchema, svc: nameSchema, id: instanceIdSchema });
export const namespaceParamsSchema = z.object({ ns: nameSchema });

export const listInstancesQuerySchema = z.object({
  healthy: z.enum(['true', 'false']).optional(),
});

/** A store revision as given in `?revision=` or `Last-Event-ID`. */
export const revisionSchema = z
  .string()
  .regex(/^\d{1,15}$/, 'must be a non-negative integer')
  .transform((s) => Number(s));

export const auditQuerySchema = z.strictObject({
  namespace: nameSchema.optional(),
  service: nameSchema.optional(),
  limit: z
    .string()
    .regex(/^\d{1,4}$/, 'must be an integer')
    .transform(Number)
    .pipe(z.number().int().min(1).max(MAX_AUDIT_PAGE_ROWS))
    .default(DEFAULT_AUDIT_PAGE_ROWS),
});
