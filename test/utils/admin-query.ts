import { Client } from 'pg';
import { TEST_PG_URL } from './test-env';

/** Runs statements on the maintenance database (CREATE/DROP DATABASE). */
export async function adminQuery(...statements: string[]): Promise<void> {
  const client = new Client({ connectionString: `${TEST_PG_URL}/postgres` });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}
