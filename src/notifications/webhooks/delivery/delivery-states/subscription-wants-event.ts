import { HERALD } from '../../../database/herald-names';

/**
 * Whether subscription `s`'s patterns match event `e`'s topic: they share one of the few patterns
 * that match it (the topic, each dotted prefix + `.*`, and `*` except for operational `webhook.*`
 * topics), keyed by tenant. Written so, it is what the GIN index `subscriptions_topic_keys_idx`
 * answers: the cost per event does not grow with the number or the length of patterns that miss.
 */
export const TOPIC_MATCHES = `
  ${HERALD.tenant_topic_keys}(s.tenant_id, s.topics)
    && ${HERALD.topic_candidate_keys}(e.tenant_id, e.topic)`;

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
