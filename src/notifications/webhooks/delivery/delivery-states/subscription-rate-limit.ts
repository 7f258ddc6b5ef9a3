import type { DataSource } from 'typeorm';
import { HERALD } from '../../../database/herald-names';

/**
 * The subscription's `rateLimit` (deliveries a second, null for none) and tenant, or undefined
 * when it is gone (a read, no transition). A drain reads them before its first claim; each claim
 * then brings the limit again.
 */
export async function readRateLimit(
  dataSource: DataSource,
  subscriptionId: string,
): Promise<{ rateLimit: number | null; tenantId: string } | undefined> {
  const [row] = await dataSource.query<{ rate_limit: number | null; tenant_id: string }[]>(
    `SELECT rate_limit, tenant_id FROM ${HERALD.subscriptions} WHERE id = $1`,
    [subscriptionId],
  );
  return row && { rateLimit: row.rate_limit, tenantId: row.tenant_id };
}
