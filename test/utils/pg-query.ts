import { Client, type QueryResultRow } from 'pg';

/** Runs one query on `databaseUrl` with a connection of its own; returns the rows. */
export async function pgQuery<T extends QueryResultRow = QueryResultRow>(
  databaseUrl: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}
