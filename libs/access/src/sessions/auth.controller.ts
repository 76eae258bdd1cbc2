import { Body, Controller, ForbiddenException, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { z } from 'zod';
import { parseBody } from '../http/validation';
import { MAX_PASSWORD_LENGTH, passwordField } from '../names';
import { CurrentPrincipal, type Principal } from '../principal';
import { ALL_NAMESPACES } from '../roles';
import { UsersService } from '../users/users.service';
import { SessionsService, type LoginResult } from './sessions.service';

const loginBody = z.object({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
});

const passwordChangeBody = z
  .object({ currentPassword: z.string().min(1).max(MAX_PASSWORD_LENGTH), newPassword: passwordField })
  .strict();

interface RequestLike {
  ip?: string;
  socket?: { remoteAddress?: string };
}

interface ResponseLike {
  setHeader?(name: string, value: string): void;
  header?(name: string, value: string): void;
}

@Controller('v1/auth')
export class AuthController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly users: UsersService,
  ) {}

  @Post('login')
  @HttpCode(200)
  async login(
    @Body() body: unknown,
    @Req() request: RequestLike,
    @Res({ passthrough: true }) response: ResponseLike,
  ): Promise<LoginResult> {
    const { username, password } = parseBody(loginBody, body);
    const clientAddress = request.ip ?? request.socket?.remoteAddress ?? 'unknown';
    try {
      return await this.sessions.login(username.toLowerCase(), password, clientAddress);
    } catch (error) {
      const seconds = (error as { getResponse?: () => unknown }).getResponse?.() as
        { retryAfterSeconds?: number } | undefined;
      if (seconds?.retryAfterSeconds !== undefined) {
        const value = String(seconds.retryAfterSeconds);
        if (response.setHeader) response.setHeader('Retry-After', value);
        else response.header?.('Retry-After', value);
      }
      throw error;
    }
  }

  @Post('logout')
  @HttpCode(204)
  async logout(@CurrentPrincipal() principal: Principal | undefined): Promise<void> {
    if (principal?.kind === 'user') await this.sessions.end(principal.sessionId);
  }

  /** A signed-in user changes their own password; their other sessions end. */
  @Post('password')
  @HttpCode(204)
  async changePassword(
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal | undefined,
  ): Promise<void> {
    const { currentPassword, newPassword } = parseBody(passwordChangeBody, body);
    if (principal?.kind !== 'user') throw new ForbiddenException('only a signed-in user has a password');
    await this.users.changeOwnPassword(principal.userId, currentPassword, newPassword, principal.sessionId);
  }

  @Get('me')
  me(@CurrentPrincipal() principal: Principal | undefined) {
    if (!principal || principal.kind === 'anonymous') {
      return { kind: 'anonymous', name: 'anonymous', role: 'admin', namespaces: [ALL_NAMESPACES] };
    }
    if (principal.kind === 'token') {
      return { kind: 'token', name: principal.name, role: principal.role, namespaces: principal.namespaces };
    }
    return {
      kind: 'user',
      name: principal.name,
      username: principal.name,
      role: principal.role,
      namespaces: principal.namespaces,
      expiresAt: new Date(principal.sessionExpiresAt).toISOString(),
    };
  }
}
