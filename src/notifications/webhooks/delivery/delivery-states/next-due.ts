import type { DataSource } from 'typeorm';
import { HERALD } from '../../../database/herald-names';

/**
 * Milliseconds until the next pending delivery of the subscription that no attempt holds is due,
 * or undefined when it has none (a read, no transition).
 */
export async function msUntilNextDue(
  dataSource: DataSource,
  subscriptionId: string,
): Promise<number | undefined> {
  const [row] = await dataSource.query<{ ms: number | null }[]>(
    `SELECT greatest(0, extract(epoch FROM min(next_attempt_at) - now()) * 1000)::float8 AS ms
     FROM ${HERALD.deliveries}
     WHERE subscription_id = $1 AND status = 'pending' AND (lease_until IS NULL OR lease_until < now())`,
    [subscriptionId],
  );
  return row?.ms ?? undefined;
}
