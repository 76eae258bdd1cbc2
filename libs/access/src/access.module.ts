import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ACCESS_OPTIONS, resolveAccessOptions, type AccessOptions } from './access-options';
import { AccessGuard } from './authorization/access.guard';
import { ACCESS_ENTITIES } from './entities';
import { AuthController } from './sessions/auth.controller';
import { SessionsService } from './sessions/sessions.service';
import { TokensController } from './tokens/tokens.controller';
import { TokensService } from './tokens/tokens.service';
import { UsersController } from './users/users.controller';
import { UsersService } from './users/users.service';

/**
 * Users, sessions, API tokens and the guard. Uses the application's TypeORM connection, whose
 * DataSource must list ACCESS_ENTITIES and ACCESS_MIGRATIONS (or use autoLoadEntities).
 */
@Module({})
export class AccessModule {
  static forRoot(options: AccessOptions = {}): DynamicModule {
    const providers: Provider[] = [
      { provide: ACCESS_OPTIONS, useValue: resolveAccessOptions(options) },
      UsersService,
      SessionsService,
      TokensService,
      AccessGuard,
    ];
    if (options.globalGuard !== false) providers.push({ provide: APP_GUARD, useExisting: AccessGuard });
    return {
      module: AccessModule,
      imports: [TypeOrmModule.forFeature(ACCESS_ENTITIES)],
      controllers: [AuthController, UsersController, TokensController],
      providers,
      exports: [AccessGuard, UsersService, SessionsService, TokensService, ACCESS_OPTIONS],
    };
  }
}
