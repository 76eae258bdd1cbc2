import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

/** scrypt output and salt lengths; etcd uses bcrypt, any slow salted hash does the job. */
export const PASSWORD_HASH_BYTES = 32;
export const PASSWORD_SALT_BYTES = 16;

/** Hashed once by the member that receives the request, so applying it is deterministic. */
export function hashPassword(password: string): string {
  const salt = randomBytes(PASSWORD_SALT_BYTES);
  const hash = scryptSync(password, salt, PASSWORD_HASH_BYTES);
  return `scrypt$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export function checkPassword(password: string, stored: string): boolean {
  const [scheme, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = scryptSync(password, Buffer.from(salt, 'base64'), expected.length);
  return timingSafeEqual(actual, expected);
}
