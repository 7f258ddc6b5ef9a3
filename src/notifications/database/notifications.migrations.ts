import { HeraldInit1763790000000 } from './migrations/1763790000000-herald-init';

/** Herald's migrations, in order; a host adds them to its own DataSource `migrations`. */
export const NOTIFICATIONS_MIGRATIONS = [HeraldInit1763790000000];
