import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { identityFromAuthorization } from '@skyroad/registry-core';
import type { Request } from 'express';

/** Who is making the request, for the audit table (see identityFromAuthorization). */
export const Actor = createParamDecorator((_data: unknown, context: ExecutionContext): string =>
  identityFromAuthorization(context.switchToHttp().getRequest<Request>().headers.authorization),
);
