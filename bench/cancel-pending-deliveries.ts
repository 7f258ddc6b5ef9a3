import type { DataSource } from 'typeorm';

/**
 * Marks every pending delivery failed (only `subscriptionId`'s when given), so the next phase
 * starts on an idle pipeline; returns how many.
 */
export async function cancelPendingDeliveries(
  dataSource: DataSource,
  subscriptionId?: string,
): Promise<number> {
  const [, cancelled] = await dataSource.query<[unknown, number]>(
    `UPDATE herald.deliveries SET status = 'failed', last_error = 'cancelled by the benchmark',
       updated_at = now()
     WHERE status = 'pending' AND ($1::uuid IS NULL OR subscription_id = $1::uuid)`,
    [subscriptionId ?? null],
  );
  return cancelled;
}
