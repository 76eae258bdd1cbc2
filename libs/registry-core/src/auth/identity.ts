import { createHash } from 'node:crypto';

export const ANONYMOUS = 'anonymous';
const TOKEN_FINGERPRINT_CHARS = 12;

/**
 * Who made a request, for the audit table and policy history. Until tokens are issued and
 * checked (console issue), the identity is read, not verified: a JWT's `sub`, else a
 * fingerprint of the bearer token, else "anonymous". It names; it does not authorize.
 */
export function identityFromAuthorization(header: string | undefined): string {
  if (!header) return ANONYMOUS;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!match) return ANONYMOUS;
  const token = match[1];
  const parts = token.split('.');
  if (parts.length === 3) {
    try {
      const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { sub?: unknown };
      if (typeof claims.sub === 'string' && /^[\w.@:-]{1,128}$/.test(claims.sub)) return claims.sub;
    } catch {
      // not a JWT: fall through to the fingerprint
    }
  }
  return `token:${createHash('sha256').update(token).digest('hex').slice(0, TOKEN_FINGERPRINT_CHARS)}`;
}
