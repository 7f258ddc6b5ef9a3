import { HeraldInit1763790000000 } from './migrations/1763790000000-herald-init';
import { PartialPositionIndex1763810000000 } from './migrations/1763810000000-partial-position-index';
import { Webhooks1763820000000 } from './migrations/1763820000000-webhooks';
import { SubscriptionDueIndex1763830000000 } from './migrations/1763830000000-subscription-due-index';
import { DeliveriesFillfactor1763840000000 } from './migrations/1763840000000-deliveries-fillfactor';
import { EventsTenantCheck1763850000000 } from './migrations/1763850000000-events-tenant-check';
import { BoundedFanOut1763860000000 } from './migrations/1763860000000-bounded-fan-out';
import { SubscriptionHeaders1763870000000 } from './migrations/1763870000000-subscription-headers';
import { SubscriptionUid1763880000000 } from './migrations/1763880000000-subscription-uid';
import { SubscriptionRateLimit1763890000000 } from './migrations/1763890000000-subscription-rate-limit';
import { PortalSessions1763900000000 } from './migrations/1763900000000-portal-sessions';
import { EventTypes1763910000000 } from './migrations/1763910000000-event-types';
import { EventTraceContext1763920000000 } from './migrations/1763920000000-event-trace-context';

/** Herald's migrations, in order; a host adds them to its own DataSource `migrations`. */
export const NOTIFICATIONS_MIGRATIONS = [
  HeraldInit1763790000000,
  PartialPositionIndex1763810000000,
  Webhooks1763820000000,
  SubscriptionDueIndex1763830000000,
  DeliveriesFillfactor1763840000000,
  EventsTenantCheck1763850000000,
  BoundedFanOut1763860000000,
  SubscriptionHeaders1763870000000,
  SubscriptionUid1763880000000,
  SubscriptionRateLimit1763890000000,
  PortalSessions1763900000000,
  EventTypes1763910000000,
  EventTraceContext1763920000000,
];
