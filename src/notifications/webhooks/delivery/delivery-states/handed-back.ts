import type { DataSource } from 'typeorm';
import type { ClaimedDelivery } from './claimed';
import { HERALD } from '../../../database/herald-names';

/**
 * **Handed back** (interrupted before sending): claimed deliveries never sent go back as they
 * were, their claim undone (the attempt not counted) and due as before, for anyone to claim.
 */
export async function handBack(
  dataSource: DataSource,
  deliveries: readonly ClaimedDelivery[],
): Promise<void> {
  await dataSource.query(
    `UPDATE ${HERALD.deliveries} d SET attempts = d.attempts - 1, lease_until = NULL
     FROM unnest($1::uuid[], $2::int[]) AS c(id, attempts)
     WHERE d.id = c.id AND d.attempts = c.attempts AND d.status = 'pending'`,
    [deliveries.map((d) => d.id), deliveries.map((d) => d.attempts)],
  );
}
