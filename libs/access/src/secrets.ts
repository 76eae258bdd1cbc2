import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

/** Bytes of randomness in session tokens, API token secrets and generated passwords. */
const SECRET_BYTES = 32;
const GENERATED_PASSWORD_BYTES = 18;
export const SESSION_TOKEN_PREFIX = 'sks_';
export const API_TOKEN_PREFIX = 'skt_';

export function newId(): string {
  return randomUUID();
}

export function newSessionToken(): string {
  return SESSION_TOKEN_PREFIX + randomBytes(SECRET_BYTES).toString('base64url');
}

export function newApiToken(): string {
  return API_TOKEN_PREFIX + randomBytes(SECRET_BYTES).toString('base64url');
}

export function generatePassword(): string {
  return randomBytes(GENERATED_PASSWORD_BYTES).toString('base64url');
}

/**
 * Bearer secrets are 256 random bits, so a fast hash is enough to make a stolen table useless
 * and lets a request find its row by the hash alone.
 */
export function secretDigest(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Passwords are low-entropy: argon2id (the library's defaults: 19 MiB, 2 passes). */
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

/** A well-formed hash of nothing anyone knows: verifying against it costs what a real check costs. */
let decoyHash: Promise<string> | undefined;

export async function verifyPassword(passwordHash: string | undefined, password: string): Promise<boolean> {
  if (passwordHash === undefined) {
    decoyHash ??= hash(randomBytes(SECRET_BYTES).toString('hex'));
    await verify(await decoyHash, password).catch(() => false);
    return false;
  }
  return verify(passwordHash, password).catch(() => false);
}
