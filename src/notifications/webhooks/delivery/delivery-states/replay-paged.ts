import type { DataSource } from 'typeorm';
import { SUBSCRIPTION_WANTS_EVENT } from './subscription-wants-event';
import { HERALD } from '../../../database/herald-names';

// One page of the replay paged least recently, in one statement (so one transaction): the next
// events of its tenant in its range, a delivery for each the subscription wants (re-armed when it
// already ended; one still pending keeps its own schedule), and the range moved past them, or
// the replay removed when the page was its last. Only a count and one delivery to hint about come
// back to the process, whatever the page holds. A replay locked by another pager is left to it.
const PAGE = `
  WITH r AS (
    SELECT subscription_id, after_position, through_position FROM ${HERALD.replays}
    ORDER BY paged_at LIMIT 1 FOR UPDATE SKIP LOCKED
  ), page AS (
    SELECT e.id, e.position
    FROM r
    JOIN ${HERALD.subscriptions} s ON s.id = r.subscription_id
    JOIN ${HERALD.sequencer_state} st ON st.id = 1
    JOIN ${HERALD.events} e ON e.tenant_id = s.tenant_id
      AND e.position > GREATEST(r.after_position, st.pruned_through)
      AND e.position <= r.through_position
    ORDER BY e.position
    LIMIT $1
  ), rearmed AS (
    INSERT INTO ${HERALD.deliveries} (event_id, subscription_id, tenant_id)
    SELECT e.id, s.id, e.tenant_id
    FROM page p
    JOIN ${HERALD.events} e ON e.id = p.id
    JOIN r ON true
    JOIN ${HERALD.subscriptions} s ON s.id = r.subscription_id
    WHERE ${SUBSCRIPTION_WANTS_EVENT}
    ORDER BY p.position
    ON CONFLICT (event_id, subscription_id) DO UPDATE
      SET status = 'pending', retries = 0, next_attempt_at = now(), last_error = NULL,
          updated_at = now()
      WHERE ${HERALD.deliveries}.status <> 'pending'
    RETURNING id, subscription_id, attempts
  ), finished AS (
    DELETE FROM ${HERALD.replays} x USING r
    WHERE x.subscription_id = r.subscription_id AND (SELECT count(*) FROM page) < $1
    RETURNING x.subscription_id
  ), advanced AS (
    UPDATE ${HERALD.replays} x SET after_position = (SELECT max(position) FROM page), paged_at = now()
    FROM r
    WHERE x.subscription_id = r.subscription_id AND (SELECT count(*) FROM page) = $1
    RETURNING x.subscription_id
  )
  SELECT r.subscription_id,
         (SELECT count(*)::int FROM rearmed) AS scheduled,
         EXISTS (SELECT 1 FROM finished) AS finished,
         h.id AS hint_id,
         h.attempts AS hint_attempts
  FROM r LEFT JOIN LATERAL (SELECT id, attempts FROM rearmed LIMIT 1) h ON true`;

/** What one page came to. */
export interface ReplayPage {
  subscription_id: string;
  scheduled: number;
  finished: boolean;
  hint_id: string | null;
  hint_attempts: number | null;
}

/**
 * **Replayed**: one page of the replay paged least recently, in one transaction. Each event of the
 * page the subscription wants gets a delivery: created, or an ended one pending again from the
 * start of its schedule (one still pending keeps its own). Undefined when no replay is left to
 * page.
 */
export async function pageReplay(
  dataSource: DataSource,
  pageSize: number,
): Promise<ReplayPage | undefined> {
  const [row] = await dataSource.query<ReplayPage[]>(PAGE, [pageSize]);
  return row;
}
