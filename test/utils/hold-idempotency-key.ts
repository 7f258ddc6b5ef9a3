import { Client } from 'pg';

/**
 * An event row with one tenant's Idempotency-Key, inserted by a transaction of the test's own and
 * left uncommitted: a publish with that key waits on it (the unique index) until it ends.
 */
export interface HeldIdempotencyKey {
  /** How many sessions wait on the held transaction right now. */
  waiting(): Promise<number>;
  /** Rolls the row back, so a waiting publish inserts its own, and closes the connection. */
  release(): Promise<void>;
}

/** Opens a connection, begins, inserts the competing row and holds it. */
export async function holdIdempotencyKey(
  databaseUrl: string,
  tenantId: string,
  key: string,
): Promise<HeldIdempotencyKey> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  let released = false;
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO herald.events (id, tenant_id, topic, payload, idempotency_key)
       VALUES (gen_random_uuid(), $1, 'held.by.test', '{}', $2)`,
      [tenantId, key],
    );
  } catch (error) {
    await client.end();
    throw error;
  }
  return {
    async waiting() {
      // Asked inside the held transaction: pg_locks is read live there, unlike pg_stat_activity.
      const { rows } = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_locks
         WHERE locktype = 'transactionid' AND NOT granted
           AND transactionid = pg_current_xact_id()::xid`,
      );
      return rows[0].n;
    },
    async release() {
      if (released) return;
      released = true;
      try {
        await client.query('ROLLBACK');
      } finally {
        await client.end();
      }
    },
  };
}
