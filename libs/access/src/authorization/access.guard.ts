import {
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { ACCESS_OPTIONS, type ResolvedAccessOptions } from '../access-options';
import { attachPrincipal, type Principal } from '../principal';
import { API_TOKEN_PREFIX, SESSION_TOKEN_PREFIX } from '../secrets';
import { SessionsService } from '../sessions/sessions.service';
import { TokensService } from '../tokens/tokens.service';
import { permits, requirementFor, type Requirement } from './access-rules';

interface HttpRequestLike {
  method: string;
  url: string;
  originalUrl?: string;
  headers: Record<string, string | string[] | undefined>;
}

interface HttpResponseLike {
  setHeader?(name: string, value: string): void;
  header?(name: string, value: string): void;
}

const ANONYMOUS: Principal = { kind: 'anonymous', name: 'anonymous' };

/**
 * Resolves the caller from `Authorization: Bearer <token>` (a console session or an API token)
 * and checks the request against the rule table: 401 when the caller is unknown, 403 when
 * known but not allowed. Leaves the principal on the request for controllers and audit logs.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly sessions: SessionsService,
    private readonly tokens: TokensService,
    @Inject(ACCESS_OPTIONS) private readonly options: ResolvedAccessOptions,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const http = context.switchToHttp();
    const request = http.getRequest<HttpRequestLike>();
    const requirement = requirementFor(request.method, request.originalUrl ?? request.url);

    const principal = await this.authenticate(request, requirement, http.getResponse<HttpResponseLike>());
    if (principal === undefined) return true; // a public route, called without credentials
    attachPrincipal(request, principal);
    if (!permits(principal, requirement)) {
      throw new ForbiddenException(`${principal.name} may not ${request.method} ${pathOnly(request)}`);
    }
    return true;
  }

  private async authenticate(
    request: HttpRequestLike,
    requirement: Requirement,
    response: HttpResponseLike,
  ): Promise<Principal | undefined> {
    const header = request.headers['authorization'];
    const value = Array.isArray(header) ? header[0] : header;
    if (value === undefined || value === '') {
      if (this.options.anonymousAllowed) return ANONYMOUS;
      if (requirement.kind === 'public') return undefined;
      throw this.unauthorized(response, 'sign in or present an API token (Authorization: Bearer <token>)');
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(value);
    if (!match) throw this.unauthorized(response, 'the Authorization header must be "Bearer <token>"');
    const secret = match[1];
    let principal: Principal | undefined;
    if (secret.startsWith(SESSION_TOKEN_PREFIX)) principal = await this.sessions.resolve(secret);
    else if (secret.startsWith(API_TOKEN_PREFIX)) principal = await this.tokens.resolve(secret);
    if (!principal) {
      // A public route stays reachable with a stale token (e.g. sign-in after expiry).
      if (requirement.kind === 'public') return undefined;
      throw this.unauthorized(response, 'the token is unknown, revoked or expired');
    }
    return principal;
  }

  private unauthorized(response: HttpResponseLike, message: string): UnauthorizedException {
    const challenge = 'Bearer realm="skyroad"';
    if (response.setHeader) response.setHeader('WWW-Authenticate', challenge);
    else response.header?.('WWW-Authenticate', challenge);
    return new UnauthorizedException(message);
  }
}

function pathOnly(request: HttpRequestLike): string {
  return (request.originalUrl ?? request.url).split('?', 1)[0];
}
