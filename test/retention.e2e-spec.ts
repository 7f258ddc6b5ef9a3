import request from 'supertest';
import { RetentionService } from '../src/notifications/sequencer/retention.service';
import { createTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { pgQuery } from './utils/pg-query';
import { publishAndSequence } from './utils/publish-event';
import { readEvents } from './utils/read-events';
import { createTestDatabase, type TestDatabase } from './utils/test-database';
import { startTestApp, type TestApp } from './utils/test-app';

describe('retention', () => {
  let db: TestDatabase;
  let herald: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    // The schedule is left to the test: it calls prune() itself.
    herald = await startTestApp({
      databaseUrl: db.url,
      notifications: { retentionInterval: 3_600_000 },
    });
  });

  afterAll(async () => {
    await herald?.close();
    await db?.drop();
  });

  it('deletes expired events in batches; older cursors get 410 with a cursor that works', async () => {
    const tenant = await createTenant(herald);
    const start = (await publishAndSequence(herald, tenant, 'old.first')).cursor;
    // 2,500 events in one commit, so pruning needs several batches of 1,000.
    await pgQuery(
      db.url,
      `INSERT INTO herald.events (id, tenant_id, topic, payload)
       SELECT gen_random_uuid(), $1, 'old.event', jsonb_build_object('i', i) FROM generate_series(1, 2500) i`,
      [tenant.tenantId],
    );
    const lastOld = await publishAndSequence(herald, tenant, 'old.last');
    const kept = await publishAndSequence(herald, tenant, 'still.fresh');
    await expectEventually(async () => {
      const [row] = await pgQuery<{ n: string }>(
        db.url,
        'SELECT count(*) AS n FROM herald.events WHERE position IS NULL',
      );
      expect(row.n).toBe('0');
    });
    // Age everything up to lastOld by eight days, keeping sequenced_at increasing with position.
    await pgQuery(
      db.url,
      `UPDATE herald.events SET sequenced_at = sequenced_at - interval '8 days' WHERE position <= $1`,
      [lastOld.cursor],
    );

    const deleted = await herald.app.get(RetentionService).prune();
    expect(deleted).toBe(Number(lastOld.cursor));

    const expired = await request(herald.baseUrl)
      .get('/v1/events')
      .query({ after: start, wait: 0 })
      .set(tenant.auth)
      .expect(410);
    expect(expired.body).toMatchObject({
      statusCode: 410,
      code: 'cursor_expired',
      oldestCursor: lastOld.cursor,
    });

    const resumed = await readEvents(herald, tenant, { after: expired.body.oldestCursor });
    expect(resumed.events.map((event) => event.id)).toEqual([kept.id]);
    const fromOldest = await readEvents(herald, tenant, { after: 0 });
    expect(fromOldest.events.map((event) => event.id)).toEqual([kept.id]);
    // Nothing fresh was deleted, and pruning again finds nothing.
    expect(await herald.app.get(RetentionService).prune()).toBe(0);
  });
});
