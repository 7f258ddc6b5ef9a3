import type { EntityManager } from 'typeorm';
import type { ClaimedDelivery } from './claimed';
import { HERALD } from '../../../database/herald-names';

/**
 * **Failed**: the delivery ends unsent for good with `error` (schedule used up, 410 Gone, an
 * outcome Postgres refuses); only while the attempt still holds the delivery.
 */
export async function failDelivery(
  manager: EntityManager,
  claimed: ClaimedDelivery,
  error: string,
): Promise<void> {
  await manager.query(
    `UPDATE ${HERALD.deliveries} SET status = 'failed', lease_until = NULL, last_error = $3,
       updated_at = now()
     WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
    [claimed.id, claimed.attempts, error],
  );
}
