import { Client } from 'pg';

/** A transaction of the test's own, left open after its statement so others wait on its locks. */
export interface HeldTransaction {
  /** How many sessions wait on the held transaction right now. */
  waiting(): Promise<number>;
  /** Commits and closes the connection. */
  commit(): Promise<void>;
  /** Rolls back and closes the connection; does nothing once committed or rolled back. */
  release(): Promise<void>;
}

/** Opens a connection, begins, runs `sql` with `params` and holds the transaction open. */
export async function holdTransaction(
  databaseUrl: string,
  sql: string,
  params: unknown[] = [],
): Promise<HeldTransaction> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  let ended = false;
  try {
    await client.query('BEGIN');
    await client.query(sql, params);
  } catch (error) {
    await client.end();
    throw error;
  }
  const end = async (statement: 'COMMIT' | 'ROLLBACK') => {
    if (ended) return;
    ended = true;
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
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
    commit: () => end('COMMIT'),
    release: () => end('ROLLBACK'),
  };
}
