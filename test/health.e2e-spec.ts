import request from 'supertest';
import { startTestApp, type TestApp, type TestAppOptions } from './utils/test-app';
import { useTestApp } from './utils/use-test-app';

/** Nothing listens on port 1: connections are refused at once. */
const UNREACHABLE_REDIS = 'redis://127.0.0.1:1';

describe('GET /health', () => {
  const { herald, db } = useTestApp();

  /** Starts another app on the spec's database, runs `check` against it, and closes it. */
  async function withApp(
    env: TestAppOptions['env'],
    check: (app: TestApp) => Promise<void>,
  ): Promise<void> {
    const app = await startTestApp({ databaseUrl: db.url, env });
    try {
      await check(app);
    } finally {
      await app.close();
    }
  }

  it('is 200 with Postgres and Redis up, without credentials', async () => {
    const response = await request(herald.baseUrl).get('/health').expect(200);
    expect(response.body).toEqual({
      status: 'ok',
      info: { postgres: { status: 'up' }, redis: { status: 'up' } },
      error: {},
      details: { postgres: { status: 'up' }, redis: { status: 'up' } },
    });
  });

  it('is 503 and says Redis is down when a worker process cannot reach it', async () => {
    await withApp({ REDIS_URL: UNREACHABLE_REDIS }, async (app) => {
      const response = await request(app.baseUrl).get('/health').expect(503);
      // The shape /docs-json documents for this 503 (terminus's): which check failed, and why.
      expect(response.body).toMatchObject({
        status: 'error',
        details: {
          postgres: { status: 'up' },
          redis: { status: 'down', message: expect.any(String) },
        },
      });
    });
  });

  it('an api-only process checks Postgres only', async () => {
    await withApp({ HERALD_ROLES: 'api' }, async (app) => {
      const response = await request(app.baseUrl).get('/health').expect(200);
      expect(response.body).toEqual({
        status: 'ok',
        info: { postgres: { status: 'up' } },
        error: {},
        details: { postgres: { status: 'up' } },
      });
    });
  });

  it('an api-only process stays ready while Redis is unreachable', async () => {
    await withApp({ HERALD_ROLES: 'api', REDIS_URL: UNREACHABLE_REDIS }, async (app) => {
      const response = await request(app.baseUrl).get('/health').expect(200);
      expect(response.body.status).toBe('ok');
      expect(Object.keys(response.body.details as object)).toEqual(['postgres']);
    });
  });
});
