/** How long a console session lives unless configured otherwise. */
export const DEFAULT_SESSION_TTL_MS = 8 * 60 * 60 * 1000;
/** Failed sign-ins one user may have from one address within the window before 429. */
export const MAX_LOGIN_FAILURES = 5;
export const LOGIN_FAILURE_WINDOW_MS = 60 * 1000;
/** The user created at first start when there is none. */
export const FIRST_ADMIN_USERNAME = 'admin';
/** Environment variable holding the first admin's password. */
export const ADMIN_PASSWORD_ENV = 'SKYROAD_ADMIN_PASSWORD';

export interface AccessOptions {
  /**
   * Requests without an Authorization header act as an anonymous administrator. Only for
   * listeners bound to loopback (development); a request that does carry a token is always
   * checked against that token's rights.
   */
  anonymousAllowed?: boolean;
  /** Session lifetime in milliseconds (default 8 h). */
  sessionTtlMs?: number;
  /** The first admin's password; defaults to $SKYROAD_ADMIN_PASSWORD, else a random one. */
  adminPassword?: string;
  /** Where the randomly generated first-admin password is printed (once). Default: stderr. */
  announce?: (message: string) => void;
  /** Milliseconds since the epoch; injectable so that tests can move time. */
  clock?: () => number;
  /** Register the guard for every route of the application (default true). */
  globalGuard?: boolean;
}

export interface ResolvedAccessOptions {
  anonymousAllowed: boolean;
  sessionTtlMs: number;
  adminPassword: string | undefined;
  announce: (message: string) => void;
  clock: () => number;
}

export const ACCESS_OPTIONS = Symbol('ACCESS_OPTIONS');

export function resolveAccessOptions(options: AccessOptions): ResolvedAccessOptions {
  const sessionTtlMs = options.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
  if (!Number.isInteger(sessionTtlMs) || sessionTtlMs <= 0) {
    throw new Error(`access: sessionTtlMs must be a positive integer (got ${sessionTtlMs})`);
  }
  const envPassword = process.env[ADMIN_PASSWORD_ENV];
  return {
    anonymousAllowed: options.anonymousAllowed ?? false,
    sessionTtlMs,
    adminPassword: options.adminPassword ?? (envPassword ? envPassword : undefined),
    announce: options.announce ?? ((message) => process.stderr.write(`${message}\n`)),
    clock: options.clock ?? Date.now,
  };
}
