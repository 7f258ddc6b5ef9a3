import type { EntityManager } from 'typeorm';
import type { ClaimedDelivery } from './claimed';
import { HERALD } from '../../../database/herald-names';

/**
 * **Interrupted**: the worker shut down before the receiver answered. The attempt counts (its row
 * says why), no retry is counted, and the delivery is due again at once, for any worker.
 */
export async function interruptDelivery(
  manager: EntityManager,
  claimed: ClaimedDelivery,
  error: string,
): Promise<void> {
  await manager.query(
    `UPDATE ${HERALD.deliveries} SET lease_until = NULL, next_attempt_at = now(), last_error = $3,
       updated_at = now()
     WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
    [claimed.id, claimed.attempts, error],
  );
}
