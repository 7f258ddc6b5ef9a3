import { HERALD_SCHEMA } from '../notifications.constants';

/**
 * Herald's tables and SQL functions, qualified with its schema, for the raw SQL of the hot paths:
 * the schema is named once, in {@link HERALD_SCHEMA}, as the entities name it.
 */
export const HERALD = {
  api_keys: `${HERALD_SCHEMA}.api_keys`,
  deliveries: `${HERALD_SCHEMA}.deliveries`,
  delivery_attempts: `${HERALD_SCHEMA}.delivery_attempts`,
  event_types: `${HERALD_SCHEMA}.event_types`,
  events: `${HERALD_SCHEMA}.events`,
  portal_sessions: `${HERALD_SCHEMA}.portal_sessions`,
  replays: `${HERALD_SCHEMA}.replays`,
  sequencer_state: `${HERALD_SCHEMA}.sequencer_state`,
  subscriptions: `${HERALD_SCHEMA}.subscriptions`,
  tenants: `${HERALD_SCHEMA}.tenants`,
  tenant_topic_keys: `${HERALD_SCHEMA}.tenant_topic_keys`,
  topic_candidate_keys: `${HERALD_SCHEMA}.topic_candidate_keys`,
} as const;
