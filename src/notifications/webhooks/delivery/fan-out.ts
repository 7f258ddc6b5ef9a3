import type { PreparedStatement } from '../../common/prepared-statement';

/** A delivery just created (one per subscription that got any), with what a queue hint needs. */
export interface CreatedDelivery {
  id: string;
  subscription_id: string;
  attempts: number;
}

/**
 * Whether subscription `s`'s patterns match event `e`'s topic: they share one of the few patterns
 * that match it (the topic, each dotted prefix + `.*`, and `*` except for operational `webhook.*`
 * topics), keyed by tenant. Written so, it is what the GIN index `subscriptions_topic_keys_idx`
 * answers: the cost per event does not grow with the number or the length of patterns that miss.
 */
export const TOPIC_MATCHES = `
  herald.tenant_topic_keys(s.tenant_id, s.topics)
    && herald.topic_candidate_keys(e.tenant_id, e.topic)`;

/**
 * Whether subscription `s` is meant to receive event `e`, enabled or not: only the targeted one
 * for a `webhook.test` event, else by topic. Operational events (`webhook.*`) reach only
 * subscriptions that name them (not `*`), never the subscription they are about. Fan-out and
 * replay share it, so a replay never delivers what fan-out would not have.
 */
export const SUBSCRIPTION_WANTS_EVENT = `
  CASE
    WHEN e.target_subscription_id IS NOT NULL THEN s.id = e.target_subscription_id
    ELSE ${TOPIC_MATCHES}
      AND NOT (starts_with(e.topic, 'webhook.')
        AND s.id::text IS NOT DISTINCT FROM e.payload ->> 'subscriptionId')
  END`;

/**
 * One delivery per (event, subscription) for the events stamped in (from, to]: every enabled
 * subscription of the event's tenant that wants it, and the targeted one of a test event even when
 * disabled (its delivery then fails and says why). Operational events never come from failing to
 * deliver one another: a ring of failing endpoints cannot feed itself.
 *
 * This runs in the one sequencer's stamping transaction, so its cost delays every tenant's
 * events: the subscriptions of an event are found through the topic index (a lookup per event,
 * the match repeated only on the rows it returns), never by testing each subscription in turn.
 *
 * Returns one delivery per subscription that got any: a worker hinted about one delivery drains
 * all of its subscription's, so the others need not travel back to this process.
 */
export const FAN_OUT: PreparedStatement = {
  name: 'herald_fan_out',
  text: `
  WITH wanted AS (
    SELECT e.id AS event_id, s.id AS subscription_id, e.tenant_id
    FROM herald.events e
    JOIN herald.subscriptions s ON s.id = e.target_subscription_id AND s.tenant_id = e.tenant_id
    WHERE e.position > $1 AND e.position <= $2
    UNION ALL
    SELECT e.id, s.id, e.tenant_id
    FROM herald.events e JOIN herald.subscriptions s ON ${TOPIC_MATCHES}
    WHERE e.position > $1 AND e.position <= $2 AND e.target_subscription_id IS NULL AND s.enabled
      AND ${SUBSCRIPTION_WANTS_EVENT}
  ), created AS (
    INSERT INTO herald.deliveries (event_id, subscription_id, tenant_id)
    SELECT event_id, subscription_id, tenant_id FROM wanted
    ON CONFLICT (event_id, subscription_id) DO NOTHING
    RETURNING id, subscription_id, attempts
  )
  SELECT DISTINCT ON (subscription_id) id, subscription_id, attempts FROM created`,
};
