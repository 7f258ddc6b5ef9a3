import { EventEntity } from '../events/event.entity';
import { ApiKeyEntity } from '../tenants/api-key.entity';
import { PortalSessionEntity } from '../tenants/portal-session.entity';
import { TenantEntity } from '../tenants/tenant.entity';
import { DeliveryAttemptEntity } from '../webhooks/delivery/delivery-attempt.entity';
import { DeliveryEntity } from '../webhooks/delivery/delivery.entity';
import { SubscriptionEntity } from '../webhooks/subscriptions/subscription.entity';

/** Herald's TypeORM entities, for a host that lists entities instead of `autoLoadEntities`. */
export const NOTIFICATIONS_ENTITIES = [
  TenantEntity,
  ApiKeyEntity,
  PortalSessionEntity,
  EventEntity,
  SubscriptionEntity,
  DeliveryEntity,
  DeliveryAttemptEntity,
];
