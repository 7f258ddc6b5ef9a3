import { EventEntity } from '../events/event.entity';
import { ApiKeyEntity } from '../tenants/api-key.entity';
import { TenantEntity } from '../tenants/tenant.entity';

/** Herald's TypeORM entities, for a host that lists entities instead of `autoLoadEntities`. */
export const NOTIFICATIONS_ENTITIES = [TenantEntity, ApiKeyEntity, EventEntity];
