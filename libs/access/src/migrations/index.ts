import { AccessSchema1763710000000 } from './1763710000000-access-schema';

export { AccessSchema1763710000000 };

/** Every migration of the access module, oldest first, for the application's DataSource `migrations`. */
export const ACCESS_MIGRATIONS = [AccessSchema1763710000000];
