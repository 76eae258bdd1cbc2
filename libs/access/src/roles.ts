/** What a signed-in person may do. */
export const USER_ROLES = ['admin', 'editor', 'viewer'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/**
 * What an API token may do, always within its one namespace (or every namespace with `*`):
 * `service` registers, heartbeats, deregisters and discovers; `editor` also changes instances
 * and policies (automation); `viewer` only reads.
 */
export const TOKEN_ROLES = ['service', 'editor', 'viewer'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

/** Stands for every namespace in a user's or token's namespace list. */
export const ALL_NAMESPACES = '*';
