/** Where the tests find Postgres and Redis (override with TEST_PG_URL / TEST_REDIS_URL). */
export const TEST_PG_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Name of the migrated template database of this test run (set by the global setup). */
export function templateDatabase(): string {
  const name = process.env.HERALD_TEST_TEMPLATE;
  if (!name) throw new Error('HERALD_TEST_TEMPLATE is not set: run the tests through jest');
  return name;
}

/** A database URL for `name` on the test server. */
export function databaseUrl(name: string): string {
  return `${TEST_PG_URL}/${name}`;
}
