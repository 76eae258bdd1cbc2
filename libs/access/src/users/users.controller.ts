import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { z } from 'zod';
import { parseBody } from '../http/validation';
import { MAX_NAMESPACES_PER_USER, USERNAME_PATTERN, namespaceOrAll, passwordField } from '../names';
import { USER_ROLES } from '../roles';
import { UsersService, userView, type UserView } from './users.service';

const namespaces = z.array(namespaceOrAll).max(MAX_NAMESPACES_PER_USER);

const newUserBody = z
  .object({
    username: z
      .string()
      .regex(USERNAME_PATTERN, 'must be lower-case letters, digits, ".", "_" or "-" (1-63)'),
    password: passwordField,
    role: z.enum(USER_ROLES),
    namespaces: namespaces.optional(),
  })
  .strict()
  .refine((user) => user.role !== 'editor' || (user.namespaces?.length ?? 0) > 0, {
    path: ['namespaces'],
    message: 'an editor needs at least one namespace ("*" for all)',
  });

const userChangeBody = z
  .object({
    password: passwordField.optional(),
    role: z.enum(USER_ROLES).optional(),
    namespaces: namespaces.optional(),
  })
  .strict();

/** Administration of users; the guard lets only administrators in. */
@Controller('v1/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  async list(): Promise<{ users: UserView[] }> {
    return { users: (await this.users.list()).map(userView) };
  }

  @Post()
  async create(@Body() body: unknown): Promise<UserView> {
    return userView(await this.users.create(parseBody(newUserBody, body)));
  }

  @Get(':username')
  async get(@Param('username') username: string): Promise<UserView> {
    return userView(await this.users.get(username));
  }

  @Patch(':username')
  async update(@Param('username') username: string, @Body() body: unknown): Promise<UserView> {
    return userView(await this.users.update(username, parseBody(userChangeBody, body)));
  }

  @Delete(':username')
  @HttpCode(204)
  async remove(@Param('username') username: string): Promise<void> {
    await this.users.remove(username);
  }
}
