import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { TokenRole, UserRole } from './roles';

/** Who is calling: a signed-in user, an API token, or (loopback development) nobody. */
export type Principal =
  | {
      kind: 'user';
      /** The name the audit log records. */
      name: string;
      userId: string;
      role: UserRole;
      namespaces: string[];
      sessionId: string;
      sessionExpiresAt: number;
    }
  | { kind: 'token'; name: string; tokenId: string; role: TokenRole; namespaces: string[] }
  | { kind: 'anonymous'; name: 'anonymous' };

/** The request property where the guard leaves the principal. */
export const PRINCIPAL_PROPERTY = 'principal';

interface RequestWithPrincipal {
  [PRINCIPAL_PROPERTY]?: Principal;
}

/** The principal the guard resolved for this request, if any. */
export function principalOf(request: unknown): Principal | undefined {
  return (request as RequestWithPrincipal)[PRINCIPAL_PROPERTY];
}

/** The name to record in audit logs and `updatedBy` fields: a username, `token:<name>` or `anonymous`. */
export function principalName(request: unknown): string {
  return principalOf(request)?.name ?? 'anonymous';
}

export function attachPrincipal(request: unknown, principal: Principal): void {
  (request as RequestWithPrincipal)[PRINCIPAL_PROPERTY] = principal;
}

/** Controller parameter decorator: `@CurrentPrincipal() who: Principal | undefined`. */
export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext) =>
  principalOf(context.switchToHttp().getRequest()),
);
