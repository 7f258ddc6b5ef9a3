import type { Logger } from '@nestjs/common';
import type { PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import { pgPoolOf } from './pg-pool';

/**
 * Keeps a connection the server drops (`pg_terminate_backend`, a restart, a failover) from
 * crashing the process. pg-pool takes its own `error` listener off a client while the client is
 * checked out, and TypeORM adds none, so a backend terminated between two queries of a transaction
 * emitted an `error` nobody listened to: an uncaught exception (typeorm/typeorm#5387). The query
 * in flight rejects by itself and the pool discards the broken client when it is released, so
 * the listener only logs.
 */
export function handleDroppedConnections(
  dataSource: DataSource,
  logger: Pick<Logger, 'warn'>,
): void {
  const pool = pgPoolOf(dataSource);
  const handled = new WeakSet<PoolClient>();
  pool.on('acquire', (client) => {
    if (handled.has(client)) return;
    handled.add(client);
    client.on('error', (error) => logger.warn(`Postgres connection lost: ${error.message}`));
  });
}
