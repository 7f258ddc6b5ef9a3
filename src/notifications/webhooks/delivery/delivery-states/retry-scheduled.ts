import type { EntityManager } from 'typeorm';
import type { ClaimedDelivery } from './claimed';
import { HERALD } from '../../../database/herald-names';

/**
 * **Retry scheduled**: the attempt failed and the delivery is due again `at`, with `retries`
 * counted and the lease let go; only while the attempt still holds the delivery. Fast or parked is
 * only a matter of the hint: the row is the same.
 */
export async function scheduleRetry(
  manager: EntityManager,
  claimed: ClaimedDelivery,
  retry: { retries: number; at: Date },
  error: string,
): Promise<void> {
  await manager.query(
    `UPDATE ${HERALD.deliveries} SET retries = $3, next_attempt_at = $4, lease_until = NULL,
       last_error = $5, updated_at = now()
     WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
    [claimed.id, claimed.attempts, retry.retries, retry.at, error],
  );
}
