import type { Client, Pool, PoolClient, QueryResultRow } from 'pg';
import type { DataSource } from 'typeorm';
import { pgPoolOf } from './pg-pool';

/**
 * A statement Postgres parses and plans once per connection, under a name unique to its text.
 * Herald's hot statements run hundreds of times a second; parsing and planning a CTE of several
 * joins each time cost the backend about as much as running it.
 */
export interface PreparedStatement {
  name: string;
  text: string;
}

/** Runs `statement` on `connection`: a client, or a pool that lends one. */
export async function runPrepared<Row extends QueryResultRow>(
  connection: Pool | PoolClient | Client,
  statement: PreparedStatement,
  values: unknown[],
): Promise<Row[]> {
  const { rows } = await connection.query<Row>({ ...statement, values });
  return rows;
}

/** Runs `statement` on a connection of the pool behind `dataSource`, committing on its own. */
export function queryPrepared<Row extends QueryResultRow>(
  dataSource: DataSource,
  statement: PreparedStatement,
  values: unknown[],
): Promise<Row[]> {
  return runPrepared<Row>(pgPoolOf(dataSource), statement, values);
}
