import type { EntityManager } from 'typeorm';
import { HERALD } from '../../../database/herald-names';

/**
 * **Disabled**: the subscription is turned off with `reason`, and its pending deliveries that no
 * attempt holds fail with `subscription disabled` (one held is failed by its claim, or ends on its
 * own outcome). False when another attempt disabled it first, and has told the tenant.
 */
export async function disableSubscription(
  manager: EntityManager,
  subscriptionId: string,
  reason: string,
): Promise<boolean> {
  // [rows, affected count]: no row means another attempt disabled it first.
  const [disabled] = await manager.query<[{ id: string }[], number]>(
    `UPDATE ${HERALD.subscriptions} SET enabled = false, disabled_reason = $2, updated_at = now()
     WHERE id = $1 AND enabled RETURNING id`,
    [subscriptionId, reason],
  );
  if (disabled.length === 0) return false;
  await manager.query(
    `UPDATE ${HERALD.deliveries} SET status = 'failed', last_error = 'subscription disabled', updated_at = now()
     WHERE subscription_id = $1 AND status = 'pending' AND (lease_until IS NULL OR lease_until < now())`,
    [subscriptionId],
  );
  return true;
}
