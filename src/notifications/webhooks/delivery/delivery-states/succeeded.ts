import type { DataSource } from 'typeorm';
import { queryPrepared, type PreparedStatement } from '../../../common/postgres/prepared-statement';
import type { AttemptResult } from '../attempt-result';
import type { ClaimedDelivery } from './claimed';
import { HERALD } from '../../../database/herald-names';

// Successes are most of the traffic: a batch of them is recorded by one autocommit statement
// (the attempts, the deliveries' status, the subscriptions' health) instead of a transaction each.
const RECORD_SUCCESSES: PreparedStatement = {
  name: 'herald_record_successes',
  text: `
  WITH r AS (
    SELECT * FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::int[], $5::int[], $6::text[])
      AS r(delivery_id, attempt, started_at, duration_ms, status_code, snippet)
  ),
  done AS (
    UPDATE ${HERALD.deliveries} d
    SET status = 'succeeded', lease_until = NULL, last_error = NULL, updated_at = now()
    FROM r WHERE d.id = r.delivery_id AND d.attempts = r.attempt AND d.status = 'pending'
    RETURNING d.subscription_id
  ),
  healthy AS (
    UPDATE ${HERALD.subscriptions} SET failing_since = NULL
    WHERE id IN (SELECT subscription_id FROM done) AND failing_since IS NOT NULL
  )
  INSERT INTO ${HERALD.delivery_attempts}
    (delivery_id, attempt, started_at, duration_ms, status_code, response_snippet)
  SELECT delivery_id, attempt, started_at, duration_ms, status_code, snippet FROM r
  ON CONFLICT (delivery_id, attempt) DO NOTHING`,
};

/**
 * **Succeeded**: each attempt of `batch` answered 2xx. One statement records the attempts, ends
 * the deliveries whose lease the attempt still holds, and clears their subscriptions' run of
 * failures.
 */
export async function recordSuccesses(
  dataSource: DataSource,
  batch: readonly { claimed: ClaimedDelivery; result: AttemptResult }[],
): Promise<void> {
  await queryPrepared(dataSource, RECORD_SUCCESSES, [
    batch.map((p) => p.claimed.id),
    batch.map((p) => p.claimed.attempts),
    batch.map((p) => p.result.startedAt),
    batch.map((p) => p.result.durationMs),
    batch.map((p) => p.result.statusCode ?? null),
    batch.map((p) => p.result.snippet ?? null),
  ]);
}
