import { isIP } from 'node:net';
import { NAME_PATTERN } from '@skyroad/governance';
import { z } from 'zod';
import { MAX_HOST_CHARS } from '../limits';

export { NAME_PATTERN };
export const INSTANCE_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
const HOSTNAME_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

// '.' and '..' match the patterns' character classes but would be path segments of their own.
const notDots = (value: string) => value !== '.' && value !== '..';

export const nameSchema = z
  .string()
  .regex(NAME_PATTERN, 'must match ^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$')
  .refine(notDots, 'must not be . or ..');

export const instanceIdSchema = z
  .string()
  .regex(INSTANCE_ID_PATTERN, 'must match ^[A-Za-z0-9._:-]{1,128}$')
  .refine(notDots, 'must not be . or ..');

export function isValidHost(value: string): boolean {
  if (value.length === 0 || value.length > MAX_HOST_CHARS) return false;
  if (isIP(value) !== 0) return true;
  const labels = value.endsWith('.') ? value.slice(0, -1).split('.') : value.split('.');
  return labels.every((label) => HOSTNAME_LABEL.test(label));
}

export const hostSchema = z.string().refine(isValidHost, 'must be a hostname or an IP literal');
