import { holdTransaction, type HeldTransaction } from './hold-transaction';

/**
 * Inserts an event row with one tenant's Idempotency-Key in a transaction of the test's own and
 * leaves it uncommitted: a publish with that key waits on it (the unique index) until it ends.
 * `release()` rolls the row back, so a waiting publish inserts its own.
 */
export function holdIdempotencyKey(
  databaseUrl: string,
  tenantId: string,
  key: string,
): Promise<HeldTransaction> {
  return holdTransaction(
    databaseUrl,
    `INSERT INTO herald.events (id, tenant_id, topic, payload, idempotency_key)
     VALUES (gen_random_uuid(), $1, 'held.by.test', '{}', $2)`,
    [tenantId, key],
  );
}
