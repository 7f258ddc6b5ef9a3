import type { Client } from 'pg';
import { runPrepared, type PreparedStatement } from '../../../common/postgres/prepared-statement';
import type { DeliveryHint } from '../delivery-queue';
import { SUBSCRIPTION_WANTS_EVENT, TOPIC_MATCHES } from './subscription-wants-event';
import { HERALD } from '../../../database/herald-names';

// One delivery per (event, subscription) for the events stamped in (from, to]: every enabled
// subscription of the event's tenant that wants it, and the targeted one of a test event even when
// disabled (its delivery then fails and says why). Operational events never come from failing to
// deliver one another: a ring of failing endpoints cannot feed itself.
// This runs in the one sequencer's stamping transaction, so its cost delays every tenant's
// events: the subscriptions of an event are found through the topic index (a lookup per event,
// the match repeated only on the rows it returns), never by testing each subscription in turn.
const FAN_OUT: PreparedStatement = {
  name: 'herald_fan_out',
  text: `
  WITH wanted AS (
    SELECT e.id AS event_id, s.id AS subscription_id, e.tenant_id
    FROM ${HERALD.events} e
    JOIN ${HERALD.subscriptions} s ON s.id = e.target_subscription_id AND s.tenant_id = e.tenant_id
    WHERE e.position > $1 AND e.position <= $2
    UNION ALL
    SELECT e.id, s.id, e.tenant_id
    FROM ${HERALD.events} e JOIN ${HERALD.subscriptions} s ON ${TOPIC_MATCHES}
    WHERE e.position > $1 AND e.position <= $2 AND e.target_subscription_id IS NULL AND s.enabled
      AND ${SUBSCRIPTION_WANTS_EVENT}
  ), created AS (
    INSERT INTO ${HERALD.deliveries} (event_id, subscription_id, tenant_id)
    SELECT event_id, subscription_id, tenant_id FROM wanted
    ON CONFLICT (event_id, subscription_id) DO NOTHING
    RETURNING id, subscription_id, attempts
  )
  SELECT DISTINCT ON (subscription_id) id, subscription_id, attempts FROM created`,
};

/**
 * **Created** (fan-out): the deliveries of the events stamped in (`after`, `through`], pending and
 * due at once, in the caller's transaction on `client` (the sequencer's stamping transaction, so
 * an event and its deliveries exist together). Returns one delivery per subscription that got
 * any: a worker hinted about one delivery drains all of its subscription's, so the others need not
 * travel back to this process.
 */
export function createDeliveries(
  client: Client,
  after: string,
  through: string,
): Promise<DeliveryHint[]> {
  return runPrepared<DeliveryHint>(client, FAN_OUT, [after, through]);
}
