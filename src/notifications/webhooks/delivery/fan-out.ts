import type { PreparedStatement } from '../../common/prepared-statement';

/** A delivery just created (one per subscription that got any), with what a queue hint needs. */
export interface CreatedDelivery {
  id: string;
  subscription_id: string;
  attempts: number;
}

/**
 * Whether subscription `s` is meant to receive event `e`, enabled or not: only the targeted one
 * for a `webhook.test` event, else by topic. Operational events (`webhook.*`) reach only
 * subscriptions that name them (not `*`), never the subscription they are about. Fan-out and
 * replay share it, so a replay never delivers what fan-out would not have.
 */
export const SUBSCRIPTION_WANTS_EVENT = `
  CASE
    WHEN e.target_subscription_id IS NOT NULL THEN s.id = e.target_subscription_id
    WHEN starts_with(e.topic, 'webhook.') THEN
      herald.topic_matches(array_remove(s.topics, '*'), e.topic)
      AND s.id::text IS DISTINCT FROM e.payload ->> 'subscriptionId'
    ELSE herald.topic_matches(s.topics, e.topic)
  END`;

/**
 * One delivery per (event, subscription) for the events stamped in (from, to]: every enabled
 * subscription of the event's tenant that wants it, and the targeted one of a test event even when
 * disabled (its delivery then fails and says why). Operational events never come from failing to
 * deliver one another: a ring of failing endpoints cannot feed itself.
 *
 * Returns one delivery per subscription that got any: a worker hinted about one delivery drains
 * all of its subscription's, so the others need not travel back to this process.
 */
export const FAN_OUT: PreparedStatement = {
  name: 'herald_fan_out',
  text: `
  WITH created AS (
    INSERT INTO herald.deliveries (event_id, subscription_id, tenant_id)
    SELECT e.id, s.id, e.tenant_id
    FROM herald.events e
    JOIN herald.subscriptions s ON s.tenant_id = e.tenant_id
    WHERE e.position > $1 AND e.position <= $2
      AND (s.enabled OR e.target_subscription_id IS NOT NULL)
      AND ${SUBSCRIPTION_WANTS_EVENT}
    ON CONFLICT (event_id, subscription_id) DO NOTHING
    RETURNING id, subscription_id, attempts
  )
  SELECT DISTINCT ON (subscription_id) id, subscription_id, attempts FROM created`,
};
