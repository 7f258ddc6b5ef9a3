import { Logger } from '@nestjs/common';
import { Client, escapeIdentifier } from 'pg';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from './data-source-options';

const DUPLICATE_DATABASE = '42P04';
// Serialises migrations when several instances start at once.
const MIGRATION_LOCK = 'SELECT pg_advisory_lock(1213353036, 2)';
const MIGRATION_UNLOCK = 'SELECT pg_advisory_unlock(1213353036, 2)';

/** Creates the database named in `databaseUrl` when it does not exist yet. */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return;
    await client.query(`CREATE DATABASE ${escapeIdentifier(name)}`);
    new Logger('Database').log(`Created database ${name}`);
  } catch (error) {
    // Another instance created it between our check and our CREATE.
    if ((error as { code?: string }).code !== DUPLICATE_DATABASE) throw error;
  } finally {
    await client.end();
  }
}

/** Runs the pending migrations, one instance at a time. */
export async function runMigrations(databaseUrl: string): Promise<void> {
  const dataSource = await new DataSource(buildDataSourceOptions(databaseUrl)).initialize();
  const runner = dataSource.createQueryRunner();
  try {
    await runner.query(MIGRATION_LOCK);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    for (const migration of applied) new Logger('Database').log(`Migrated: ${migration.name}`);
  } finally {
    await runner.query(MIGRATION_UNLOCK).catch(() => undefined);
    await runner.release();
    await dataSource.destroy();
  }
}

/** What the service does before it starts: create the database if needed, then migrate it. */
export async function prepareDatabase(databaseUrl: string): Promise<void> {
  await ensureDatabase(databaseUrl);
  await runMigrations(databaseUrl);
}
