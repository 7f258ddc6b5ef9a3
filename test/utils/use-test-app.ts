import { startTestApp, TEST_ADMIN_TOKEN, type TestApp, type TestAppOptions } from './test-app';
import { createTestDatabase, type TestDatabase } from './test-database';

/**
 * For a describe block: a database of its own and the real app on it, started before its tests
 * and closed and dropped after them. The returned objects read through to what `beforeAll`
 * started, so a spec can name them at the top and use them in its tests.
 */
export function useTestApp(options: Omit<TestAppOptions, 'databaseUrl'> = {}): {
  herald: TestApp;
  db: TestDatabase;
} {
  let db: TestDatabase | undefined;
  let herald: TestApp | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
    herald = await startTestApp({ ...options, databaseUrl: db.url });
  });
  afterAll(async () => {
    await herald?.close();
    await db?.drop();
  });
  return {
    herald: {
      get app() {
        return started(herald).app;
      },
      get baseUrl() {
        return started(herald).baseUrl;
      },
      adminToken: TEST_ADMIN_TOKEN,
      get dataSource() {
        return started(herald).dataSource;
      },
      close: () => started(herald).close(),
    },
    db: {
      get name() {
        return started(db).name;
      },
      get url() {
        return started(db).url;
      },
      drop: () => started(db).drop(),
    },
  };
}

function started<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('useTestApp: used before its beforeAll ran');
  return value;
}
