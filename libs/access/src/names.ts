import { z } from 'zod';
import { ALL_NAMESPACES } from './roles';

/** The registry's namespace name rule (docs/registry-api.md). */
export const NAMESPACE_PATTERN = /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/;
export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;
export const TOKEN_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;
export const MIN_PASSWORD_LENGTH = 8;
/** argon2 cost grows with input; nobody types more than this. */
export const MAX_PASSWORD_LENGTH = 256;
export const MAX_NAMESPACES_PER_USER = 256;

export const namespaceOrAll = z
  .string()
  .refine((value) => value === ALL_NAMESPACES || NAMESPACE_PATTERN.test(value), {
    message: `must be a namespace name or "${ALL_NAMESPACES}"`,
  });

export const passwordField = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(MAX_PASSWORD_LENGTH, `must be at most ${MAX_PASSWORD_LENGTH} characters`);
