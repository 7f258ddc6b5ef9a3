import type { DataSource } from 'typeorm';
import type { DeliveryHint } from '../delivery-queue';
import { HERALD } from '../../../database/herald-names';

/**
 * **Retried by hand**: the tenant's delivery is pending again, due now, from the start of the
 * schedule; one in flight is left alone. An expired lease is cleared, so an attempt lost before
 * the retry is not counted against it. Returns the delivery to hint, or none.
 */
export async function retryByHand(
  dataSource: DataSource,
  tenantId: string,
  id: string,
): Promise<DeliveryHint[]> {
  const [rows] = await dataSource.query<[DeliveryHint[], number]>(
    `UPDATE ${HERALD.deliveries} SET status = 'pending', retries = 0, next_attempt_at = now(),
       last_error = NULL, lease_until = NULL, updated_at = now()
     WHERE id = $1 AND tenant_id = $2 AND (lease_until IS NULL OR lease_until < now())
     RETURNING id, subscription_id, attempts`,
    [id, tenantId],
  );
  return rows;
}
