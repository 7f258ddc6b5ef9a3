import type { DataSource } from 'typeorm';
import type { DeliveryHint } from '../delivery-queue';
import { HERALD } from '../../../database/herald-names';

// One due delivery per subscription is enough: the worker hinted drains all of that subscription's.
const DUE = `
  SELECT d.id, d.subscription_id, d.attempts
  FROM ${HERALD.subscriptions} s
  CROSS JOIN LATERAL (
    SELECT id, subscription_id, attempts FROM ${HERALD.deliveries}
    WHERE subscription_id = s.id AND status = 'pending' AND next_attempt_at <= now()
      AND (lease_until IS NULL OR lease_until < now())
    ORDER BY next_attempt_at LIMIT 1
  ) d
  LIMIT $1`;

/**
 * What the sweeper hints (a read, no transition): one delivery per subscription, up to `limit`,
 * that is due, or whose claim outlived its lease.
 */
export function findDueDeliveries(dataSource: DataSource, limit: number): Promise<DeliveryHint[]> {
  return dataSource.query<DeliveryHint[]>(DUE, [limit]);
}
