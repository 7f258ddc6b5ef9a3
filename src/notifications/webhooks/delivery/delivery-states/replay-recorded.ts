import type { DataSource } from 'typeorm';
import { SUBSCRIPTION_WANTS_EVENT } from './subscription-wants-event';
import { HERALD } from '../../../database/herald-names';

// Records a replay of (after, head] for the pager, merged with one still under way (from the
// lower cursor to the higher head), and counts what it schedules without loading it: the events
// of that range the subscription wants, but for those whose delivery is pending (those keep
// their own schedule). The events are counted by what the match reads of them (topic, target,
// and for operational events the subscription they are about), so the match runs once per kind
// of event rather than once per event: a range of millions costs a scan, not millions of matches.
const RECORD_REPLAY = `
  WITH recorded AS (
    INSERT INTO ${HERALD.replays} (subscription_id, after_position, through_position)
    SELECT s.id, $2::bigint, st.last_position
    FROM ${HERALD.subscriptions} s, ${HERALD.sequencer_state} st
    WHERE s.id = $1 AND st.id = 1 AND st.last_position > $2::bigint
    ON CONFLICT (subscription_id) DO UPDATE
      SET after_position = LEAST(${HERALD.replays}.after_position, EXCLUDED.after_position),
          through_position = GREATEST(${HERALD.replays}.through_position, EXCLUDED.through_position)
    RETURNING through_position AS through
  ), kinds AS (
    SELECT e.tenant_id, e.topic, e.target_subscription_id,
           CASE WHEN starts_with(e.topic, 'webhook.')
             THEN jsonb_build_object('subscriptionId', e.payload ->> 'subscriptionId') END AS payload,
           count(*) AS events
    FROM recorded r, ${HERALD.subscriptions} s, ${HERALD.events} e, ${HERALD.sequencer_state} st
    WHERE s.id = $1 AND st.id = 1 AND e.tenant_id = s.tenant_id
      AND e.position > GREATEST($2::bigint, st.pruned_through) AND e.position <= r.through
      AND NOT EXISTS (
        SELECT 1 FROM ${HERALD.deliveries} d
        WHERE d.event_id = e.id AND d.subscription_id = s.id AND d.status = 'pending'
      )
    GROUP BY 1, 2, 3, 4
  )
  SELECT coalesce(sum(e.events), 0)::int AS scheduled
  FROM kinds e, ${HERALD.subscriptions} s
  WHERE s.id = $1 AND ${SUBSCRIPTION_WANTS_EVENT}`;

/**
 * A replay of the subscription's events after `after` recorded for the pager (see
 * {@link pageReplay}), merged with one still under way; returns how many deliveries it schedules.
 * No delivery changes here: the pager makes them, a page at a time.
 */
export async function recordReplay(
  dataSource: DataSource,
  subscriptionId: string,
  after: bigint,
): Promise<number> {
  const [row] = await dataSource.query<{ scheduled: number }[]>(RECORD_REPLAY, [
    subscriptionId,
    after.toString(),
  ]);
  return row?.scheduled ?? 0;
}
