import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { z } from 'zod';
import { parseBody } from '../http/validation';
import { TOKEN_NAME_PATTERN, namespaceOrAll } from '../names';
import { CurrentPrincipal, type Principal } from '../principal';
import { TOKEN_ROLES } from '../roles';
import { TokensService, tokenView, type TokenView } from './tokens.service';

/** The longest lifetime a token may be given; omit `expiresInSeconds` for one that never expires. */
const MAX_TOKEN_LIFETIME_SECONDS = 10 * 365 * 24 * 3600;

const newTokenBody = z
  .object({
    name: z.string().regex(TOKEN_NAME_PATTERN, 'must be lower-case letters, digits, ".", "_" or "-" (1-63)'),
    namespace: namespaceOrAll,
    role: z.enum(TOKEN_ROLES),
    expiresInSeconds: z.number().int().min(1).max(MAX_TOKEN_LIFETIME_SECONDS).optional(),
  })
  .strict();

/** API tokens for services and automation; administrators only. */
@Controller('v1/tokens')
export class TokensController {
  constructor(private readonly tokens: TokensService) {}

  @Post()
  create(@Body() body: unknown, @CurrentPrincipal() principal: Principal | undefined) {
    return this.tokens.create(parseBody(newTokenBody, body), principal?.name ?? 'anonymous');
  }

  @Get()
  async list(): Promise<{ tokens: TokenView[] }> {
    return { tokens: (await this.tokens.list()).map(tokenView) };
  }

  @Delete(':id')
  @HttpCode(204)
  async revoke(@Param('id') id: string): Promise<void> {
    await this.tokens.revoke(id);
  }
}
