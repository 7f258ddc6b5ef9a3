import type { DataSource } from 'typeorm';
import { queryPrepared, type PreparedStatement } from '../../../common/postgres/prepared-statement';
import { HERALD } from '../../../database/herald-names';

/** A delivery claimed for one attempt, with everything the attempt needs. */
export interface ClaimedDelivery {
  id: string;
  subscription_id: string;
  /** The client's own id of the subscription, sent back with every webhook when set. */
  subscription_uid: string | null;
  /** The number of this attempt (1 for the first). */
  attempts: number;
  retries: number;
  event_id: string;
  topic: string;
  /** The payload as stored JSON text, so the body carries it byte for byte. */
  payload: string;
  created_at: Date;
  tenant_id: string;
  url: string;
  /** The subscription's own headers, sent beside Herald's. */
  headers: Record<string, string>;
  secret: Buffer;
  previous_secret: Buffer | null;
  previous_secret_expires_at: Date | null;
  /** The subscription's deliveries a second, or null for no limit. */
  rate_limit: number | null;
  /** The W3C trace context the event was published in, if it was traced. */
  traceparent: string | null;
  tracestate: string | null;
}

// One statement claims a batch: due rows of one subscription that no one holds, locked with SKIP
// LOCKED so workers of several processes take disjoint rows, and leased by bumping `attempts`.
// The conditional update is what keeps a stalled or duplicated job from recording twice: whoever
// holds the lease owns the attempt. Deliveries of a disabled subscription fail instead (no
// attempt), so they never sit pending behind a subscription that will not send them.
// A due row whose lease is still set had its last attempt lost: recording clears the lease, and
// so does handing a claim back. The lost attempt counts as a retry, and one lost when the schedule
// ($4 retries) is used up fails the delivery, so a delivery whose outcome can never be recorded
// runs out with the retry schedule instead of coming back every lease.
// The tenant comes from the delivery itself: the dispatcher shares slots out by tenant.
const CLAIM: PreparedStatement = {
  name: 'herald_claim_deliveries',
  text: `
  WITH subscription AS (
    SELECT id, enabled FROM ${HERALD.subscriptions} WHERE id = $1
  ),
  refused AS (
    UPDATE ${HERALD.deliveries} d
    SET status = 'failed', last_error = 'subscription disabled', lease_until = NULL, updated_at = now()
    FROM subscription s
    WHERE d.subscription_id = s.id AND NOT s.enabled AND d.status = 'pending'
      AND (d.lease_until IS NULL OR d.lease_until < now())
  ),
  due AS (
    SELECT d.id, (d.lease_until IS NOT NULL AND d.retries >= $4) AS spent
    FROM ${HERALD.deliveries} d
    WHERE d.subscription_id = $1 AND d.status = 'pending'
      AND d.next_attempt_at <= now()
      AND (d.lease_until IS NULL OR d.lease_until < now())
      AND EXISTS (SELECT 1 FROM subscription WHERE enabled)
    ORDER BY d.next_attempt_at
    LIMIT $2
    FOR UPDATE SKIP LOCKED
  ),
  spent AS (
    UPDATE ${HERALD.deliveries} d
    SET status = 'failed', lease_until = NULL, updated_at = now(),
        last_error = 'attempt ' || d.attempts || ' was never recorded (its lease ran out) and the retry schedule is used up'
    FROM due WHERE d.id = due.id AND due.spent
  ),
  claimed AS (
    UPDATE ${HERALD.deliveries} d
    SET attempts = d.attempts + 1, updated_at = now(),
        retries = d.retries + (d.lease_until IS NOT NULL)::int,
        lease_until = now() + make_interval(secs => $3::double precision / 1000)
    FROM due WHERE d.id = due.id AND NOT due.spent
    RETURNING d.id, d.subscription_id, d.tenant_id, d.attempts, d.retries, d.event_id
  )
  SELECT c.id, c.subscription_id, c.attempts, c.retries, c.event_id, e.topic,
         e.payload::text AS payload, e.created_at, e.traceparent, e.tracestate, c.tenant_id,
         s.uid AS subscription_uid, s.url, s.headers, s.secret, s.previous_secret,
         s.previous_secret_expires_at, s.rate_limit
  FROM claimed c
  JOIN ${HERALD.events} e ON e.id = c.event_id
  JOIN ${HERALD.subscriptions} s ON s.id = c.subscription_id
  ORDER BY e.position`,
};

/**
 * **Claimed**: up to `limit` due deliveries of one subscription for an attempt each, leased for
 * `leaseMs`; the oldest events first. A delivery whose last attempt was lost (its lease ran out
 * unrecorded) counts it as a retry, and fails instead once that uses up the `retries` of the
 * schedule.
 */
export function claimDeliveries(
  dataSource: DataSource,
  subscriptionId: string,
  limit: number,
  leaseMs: number,
  retries: number,
): Promise<ClaimedDelivery[]> {
  return queryPrepared<ClaimedDelivery>(dataSource, CLAIM, [
    subscriptionId,
    limit,
    leaseMs,
    retries,
  ]);
}
