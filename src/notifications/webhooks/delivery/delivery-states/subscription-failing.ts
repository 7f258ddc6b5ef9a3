import type { EntityManager } from 'typeorm';
import { HERALD } from '../../../database/herald-names';

/**
 * When the subscription's current run of failures began (now, if this attempt starts it): what
 * the retry policy's disable-after reads.
 */
export async function markFailing(
  manager: EntityManager,
  subscriptionId: string,
  now: Date,
): Promise<Date> {
  // Only the first failure writes the row: every failed attempt locking it would serialize
  // a failing endpoint's attempts on one row lock, each held until its commit.
  // TypeORM answers an UPDATE with [rows, affected count], not with the rows alone.
  const [set] = await manager.query<[{ failing_since: Date }[], number]>(
    `UPDATE ${HERALD.subscriptions} SET failing_since = $2
     WHERE id = $1 AND failing_since IS NULL RETURNING failing_since`,
    [subscriptionId, now],
  );
  if (set[0]) return set[0].failing_since;
  const [row] = await manager.query<{ failing_since: Date | null }[]>(
    `SELECT failing_since FROM ${HERALD.subscriptions} WHERE id = $1`,
    [subscriptionId],
  );
  return row?.failing_since ?? now;
}
