import { createTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { holdPoll } from './utils/hold-poll';
import { readEvents } from './utils/read-events';
import { readMetric } from './utils/read-metric';
import { spawnHerald, type HeraldProcess } from './utils/spawn-herald';
import { TEST_ADMIN_TOKEN } from './utils/test-app';
import { createTestDatabase, type TestDatabase } from './utils/test-database';

describe('SIGTERM', () => {
  let db: TestDatabase;
  let herald: HeraldProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    herald?.child.kill('SIGKILL');
    await db?.drop();
  });

  it('answers held polls with their cursor, then exits 0', async () => {
    herald = await spawnHerald(db.url);
    const app = { baseUrl: herald.baseUrl, adminToken: TEST_ADMIN_TOKEN };
    const tenant = await createTenant(app);
    const { nextCursor } = await readEvents(app, tenant, {});
    const held = Array.from({ length: 50 }, () =>
      holdPoll(app.baseUrl, `/v1/events?after=${nextCursor}&wait=60`, tenant.auth),
    );
    await expectEventually(async () =>
      expect(await readMetric(app.baseUrl, 'herald_longpoll_waiters')).toBe(50),
    );
    herald.child.kill('SIGTERM');
    const answers = await Promise.all(held.map((poll) => poll.response));
    for (const answer of answers)
      expect(answer).toEqual({ status: 200, body: { events: [], nextCursor } });
    expect(await herald.exited).toBe(0);
  }, 60000);
});
