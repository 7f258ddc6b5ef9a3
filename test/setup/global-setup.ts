import { escapeIdentifier } from 'pg';
import { runMigrations } from '../../src/database/prepare-database';
import { adminQuery } from '../utils/admin-query';
import { databaseUrl } from '../utils/test-env';

/**
 * Migrates one template database per test run; each spec file then copies it into a database of
 * its own (fast, and specs never see each other's rows). The `herald` database is never touched.
 */
export default async function globalSetup(): Promise<void> {
  const name = `herald_test_tpl_${process.pid}`;
  await adminQuery(
    `DROP DATABASE IF EXISTS ${escapeIdentifier(name)} WITH (FORCE)`,
    `CREATE DATABASE ${escapeIdentifier(name)}`,
  );
  await runMigrations(databaseUrl(name));
  process.env.HERALD_TEST_TEMPLATE = name;
}
