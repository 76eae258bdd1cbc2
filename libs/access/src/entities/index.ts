import { ApiTokenEntity } from './api-token.entity';
import { SessionEntity } from './session.entity';
import { UserEntity } from './user.entity';

export { ApiTokenEntity, SessionEntity, UserEntity };

/** Every entity of the access module, for the application's DataSource `entities`. */
export const ACCESS_ENTITIES = [UserEntity, SessionEntity, ApiTokenEntity];
