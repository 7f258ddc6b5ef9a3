import { randomBytes } from 'node:crypto';
import { escapeIdentifier } from 'pg';
import { adminQuery } from './admin-query';
import { databaseUrl, templateDatabase } from './test-env';

/** A migrated database of the caller's own, copied from the run's template. */
export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/**
 * Creates a fresh database, migrated unless `empty` (for a host that runs the migrations itself);
 * `drop()` it in `afterAll`.
 */
export async function createTestDatabase({ empty = false } = {}): Promise<TestDatabase> {
  const name = `herald_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const template = empty ? 'template1' : templateDatabase();
  await adminQuery(
    `CREATE DATABASE ${escapeIdentifier(name)} TEMPLATE ${escapeIdentifier(template)}`,
  );
  return {
    name,
    url: databaseUrl(name),
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${escapeIdentifier(name)} WITH (FORCE)`),
  };
}
