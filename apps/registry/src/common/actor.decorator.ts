import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { principalOf } from '@skyroad/access';
import { identityFromAuthorization } from '@skyroad/registry-core';
import type { Request } from 'express';

/**
 * Who is making the request, for the audit table and policy history: the principal the access
 * guard verified, else what the Authorization header claims (anonymous development access).
 */
export const Actor = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const request = context.switchToHttp().getRequest<Request>();
  return principalOf(request)?.name ?? identityFromAuthorization(request.headers.authorization);
});
