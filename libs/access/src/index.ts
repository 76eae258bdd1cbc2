export { AccessModule } from './access.module';
export {
  ACCESS_OPTIONS,
  ADMIN_PASSWORD_ENV,
  DEFAULT_SESSION_TTL_MS,
  FIRST_ADMIN_USERNAME,
  LOGIN_FAILURE_WINDOW_MS,
  MAX_LOGIN_FAILURES,
  type AccessOptions,
} from './access-options';
export { AccessGuard } from './authorization/access.guard';
export { permits, requirementFor, type Requirement } from './authorization/access-rules';
export { ACCESS_ENTITIES, ApiTokenEntity, SessionEntity, UserEntity } from './entities';
export { ACCESS_MIGRATIONS, AccessSchema1763710000000 } from './migrations';
export {
  CurrentPrincipal,
  principalName,
  principalOf,
  PRINCIPAL_PROPERTY,
  type Principal,
} from './principal';
export { ALL_NAMESPACES, TOKEN_ROLES, USER_ROLES, type TokenRole, type UserRole } from './roles';
export { SessionsService, type LoginResult } from './sessions/sessions.service';
export { TokensService, type TokenView } from './tokens/tokens.service';
export { UsersService, type UserView } from './users/users.service';
export { isLoopbackHost, withAccessSchema } from './schema';
