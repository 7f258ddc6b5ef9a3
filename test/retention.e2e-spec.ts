import request from 'supertest';
import { RetentionService } from '../src/notifications/sequencer/retention.service';
import { createSubscription } from './utils/create-subscription';
import { createTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { listDeliveries } from './utils/list-deliveries';
import { pgQuery } from './utils/pg-query';
import { publishAndSequence } from './utils/publish-event';
import { readEvents } from './utils/read-events';
import { createTestDatabase, type TestDatabase } from './utils/test-database';
import { startTestApp, type TestApp } from './utils/test-app';
import { useReceivers } from './utils/use-receivers';
import { useTestApp } from './utils/use-test-app';

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

describe('retention and deliveries still owed', () => {
  // Thirty fast retries 300 ms apart: the receiver stays down for as long as the test needs.
  const { herald, db } = useTestApp({
    env: {
      HERALD_RETRY_SCHEDULE: Array(30).fill('300ms').join(','),
      HERALD_FAST_RETRIES: '30',
    },
    // The schedule is left to the test: it prunes as of a time past the retention itself.
    notifications: { retentionInterval: 3_600_000 },
  });
  const startReceiver = useReceivers();
  const pastRetention = () => new Date(Date.now() + 8 * 24 * 3_600_000);
  const countEvents = async (tenantId: string) =>
    (
      await pgQuery<{ n: number }>(
        db.url,
        'SELECT count(*)::int AS n FROM herald.events WHERE tenant_id = $1',
        [tenantId],
      )
    )[0].n;

  it('keeps an expired event while its delivery is retried, delivers it once, then prunes it', async () => {
    const tenant = await createTenant(herald);
    const receiver = await startReceiver();
    let up = false;
    const accepted: string[] = [];
    receiver.answer = (request) => {
      if (!up) return { status: 503 };
      accepted.push(String(request.headers['webhook-id']));
      return { status: 204 };
    };
    const subscription = await createSubscription(herald, tenant, receiver.url, ['order.*']);
    const owed = await publishAndSequence(herald, tenant, 'order.placed');
    const behind = await publishAndSequence(herald, tenant, 'audit.logged');
    await expectEventually(async () => {
      const [delivery] = await listDeliveries(herald, tenant, subscription.id);
      expect(delivery.attempts.length).toBeGreaterThanOrEqual(1);
      expect(delivery.status).toBe('pending');
    });

    // Both events are past the retention, and the first is owed: nothing is deleted.
    expect(await herald.app.get(RetentionService).prune(pastRetention())).toBe(0);
    const fromOldest = await readEvents(herald, tenant, { after: 0 });
    expect(fromOldest.events.map((event) => event.id)).toEqual([owed.id, behind.id]);

    up = true;
    await expectEventually(async () => {
      const [delivery] = await listDeliveries(herald, tenant, subscription.id);
      expect(delivery.status).toBe('succeeded');
    });
    expect(accepted).toEqual([owed.id]);

    expect(await herald.app.get(RetentionService).prune(pastRetention())).toBe(2);
    expect(await countEvents(tenant.tenantId)).toBe(0);
    expect(await listDeliveries(herald, tenant, subscription.id)).toEqual([]);
    const expired = await request(herald.baseUrl)
      .get('/v1/events')
      .query({ after: owed.cursor, wait: 0 })
      .set(tenant.auth)
      .expect(410);
    expect(expired.body).toMatchObject({ code: 'cursor_expired', oldestCursor: behind.cursor });
  });

  it('does not wait for a delivery that has ended, failed or not', async () => {
    const tenant = await createTenant(herald);
    const receiver = await startReceiver();
    // 410 Gone fails the delivery at once and disables the subscription.
    receiver.answer = () => ({ status: 410 });
    const subscription = await createSubscription(herald, tenant, receiver.url, ['order.*']);
    await publishAndSequence(herald, tenant, 'order.placed');
    await expectEventually(async () => {
      const [delivery] = await listDeliveries(herald, tenant, subscription.id);
      expect(delivery.status).toBe('failed');
    });
    // Disabling the subscription published webhook.subscription.disabled; retention prunes only
    // what the sequencer has stamped, so it is awaited (a busy sequencer may not have yet).
    await expectEventually(async () => {
      const read = await readEvents(herald, tenant, { topics: 'webhook.*', after: 0 });
      expect(read.events.map((event) => event.topic)).toEqual(['webhook.subscription.disabled']);
    });

    await herald.app.get(RetentionService).prune(pastRetention());

    expect(await countEvents(tenant.tenantId)).toBe(0);
  });
});
