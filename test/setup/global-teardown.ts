import { escapeIdentifier } from 'pg';
import { adminQuery } from '../utils/admin-query';

/** Drops the template database of this run. */
export default async function globalTeardown(): Promise<void> {
  const name = process.env.HERALD_TEST_TEMPLATE;
  if (name) await adminQuery(`DROP DATABASE IF EXISTS ${escapeIdentifier(name)} WITH (FORCE)`);
}
