import request from 'supertest';
import { NotificationPublisher } from '../../src/notifications';
import { createSubscription } from '../utils/create-subscription';
import { createTenant, type TestTenant } from '../utils/create-tenant';
import { expectEachDelivered } from '../utils/expect-each-delivered';
import { expectEventually } from '../utils/expect-eventually';
import { pgQuery } from '../utils/pg-query';
import { readMetric } from '../utils/read-metric';
import { startRecordingReceiver, type RecordingReceiver } from '../utils/recording-receiver';
import { startRedisServer, type RedisServer } from '../utils/redis-server';
import { startTestApp, type TestApp } from '../utils/test-app';
import { createTestDatabase, type TestDatabase } from '../utils/test-database';

/** Fast retries, each at most this long after the attempt before (less its 20 % jitter). */
const RETRY_DELAY_MS = 2_000;
const RETRIES = 10;
// Ten fast retries: a failing delivery cycles through Bull's delayed jobs the whole time, so Redis
// always holds hints for it, and the sweeper runs often enough to matter within a test. The
// schedule (at least 16 s) must outlast trying all 500 deliveries once, however busy the machine,
// so the flush meets every one of them still retrying.
const FAST_RETRIES = {
  HERALD_RETRY_SCHEDULE: Array.from({ length: RETRIES }, () => `${RETRY_DELAY_MS}ms`).join(','),
  HERALD_FAST_RETRIES: String(RETRIES),
  HERALD_SWEEP_INTERVAL: '300ms',
};

// Each test starts its own Redis (never the shared one on 6379), database, receiver and app.
describe('webhooks when Redis is flushed or stopped', () => {
  let cleanups: (() => Promise<unknown>)[] = [];

  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    cleanups = [];
  });

  async function setUp(): Promise<{
    redis: RedisServer;
    herald: TestApp;
    receiver: RecordingReceiver;
    db: TestDatabase;
    tenant: TestTenant;
    secret: string;
  }> {
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    const redis = await startRedisServer();
    cleanups.push(() => redis.stop());
    const receiver = await startRecordingReceiver();
    cleanups.push(() => receiver.close());
    const herald = await startTestApp({
      databaseUrl: db.url,
      env: { REDIS_URL: redis.url, ...FAST_RETRIES },
    });
    cleanups.push(() => herald.close());
    const tenant = await createTenant(herald);
    const { secret } = await createSubscription(herald, tenant, receiver.url, ['fault.*']);
    return { redis, herald, receiver, db, tenant, secret };
  }

  async function deliveryStatuses(databaseUrl: string): Promise<Record<string, number>> {
    const rows = await pgQuery<{ status: string; count: number }>(
      databaseUrl,
      `SELECT status, count(*)::int AS count FROM herald.deliveries GROUP BY status`,
    );
    return Object.fromEntries(rows.map((row) => [row.status, row.count]));
  }

  it('delivers a backlog of 500 failing deliveries after FLUSHALL once the receiver recovers', async () => {
    const { redis, herald, receiver, db, tenant, secret } = await setUp();
    let recovered = false;
    receiver.respond = () => (recovered ? 204 : 500);

    // 500 events committed in one transaction of the host's own.
    const startedAt = Date.now();
    const publisher = herald.app.get(NotificationPublisher);
    const events = new Map<number, string>();
    await herald.dataSource.transaction(async (manager) => {
      for (let n = 0; n < 500; n++) {
        const event = await publisher.publish(
          { tenantId: tenant.tenantId, topic: 'fault.flush', payload: { n } },
          { manager },
        );
        events.set(n, event.id);
      }
    });

    await expectEventually(
      async () => {
        const [row] = await pgQuery<{ deliveries: number; tried: number }>(
          db.url,
          `SELECT count(*)::int AS deliveries, count(*) FILTER (WHERE attempts >= 1)::int AS tried
           FROM herald.deliveries`,
        );
        expect(row).toEqual({ deliveries: 500, tried: 500 });
      },
      { timeoutMs: 20_000, intervalMs: 50 },
    );
    // The backlog's retries wait in Redis as Bull jobs; the flush throws all of them away.
    const triedAt = Date.now();
    expect(Number(await redis.cli('DBSIZE'))).toBeGreaterThan(0);
    expect(await redis.cli('FLUSHALL')).toBe('OK');
    const [before] = await pgQuery<{ pending: number; max_attempts: number }>(
      db.url,
      `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending,
              max(attempts)::int AS max_attempts FROM herald.deliveries`,
    );
    // Still retrying (RETRIES + 1 attempts would exhaust the schedule): the flush hit a live backlog.
    expect(before.pending).toBe(500);
    expect(before.max_attempts).toBeLessThan(RETRIES + 1);
    recovered = true;

    const flushedAt = Date.now();
    const { requests, duplicates } = await expectEventually(
      () => expectEachDelivered(receiver.requests, events, secret),
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    const deliveredAt = Date.now();
    await expectEventually(async () =>
      expect(await deliveryStatuses(db.url)).toEqual({ succeeded: 500 }),
    );
    console.log(
      `redis-flush: all 500 tried ${triedAt - startedAt} ms after the publish (at most ` +
        `${before.max_attempts} attempts each); all delivered ${deliveredAt - flushedAt} ms after ` +
        `the flush; ${requests} requests, ${duplicates} duplicate 2xx`,
    );
  }, 60_000);

  it('keeps publishing and long-polling while Redis is down, and delivers all once it is back', async () => {
    const { redis, herald, receiver, db, tenant, secret } = await setUp();
    const start = await request(herald.baseUrl)
      .get('/v1/events')
      .query({ wait: 0 })
      .set(tenant.auth)
      .expect(200);

    await redis.stop();
    // Should the test fail while Redis is down, bring it back before the app is closed.
    cleanups.push(() => redis.start());
    // A poll held from before the first publish: woken through Postgres alone.
    let cursor = start.body.nextCursor as string;
    const held = request(herald.baseUrl)
      .get('/v1/events')
      .query({ after: cursor, wait: 20 })
      .set(tenant.auth)
      .then((response) => response);
    await expectEventually(async () =>
      expect(await readMetric(herald.baseUrl, 'herald_longpoll_waiters')).toBe(1),
    );
    const events = new Map<number, string>();
    for (let n = 0; n < 50; n++) {
      const published = await request(herald.baseUrl)
        .post('/v1/events')
        .set(tenant.auth)
        .send({ topic: 'fault.down', payload: { n } })
        .expect(201);
      events.set(n, published.body.id as string);
    }
    const woken = await held;
    expect(woken.status).toBe(200);
    expect(woken.body.events[0]).toMatchObject({ id: events.get(0), payload: { n: 0 } });
    // Then follow the cursors until all 50 are read, in order.
    const polled: string[] = woken.body.events.map((event: { id: string }) => event.id);
    cursor = woken.body.nextCursor as string;
    while (polled.length < 50) {
      const page = await request(herald.baseUrl)
        .get('/v1/events')
        .query({ after: cursor, wait: 5 })
        .set(tenant.auth)
        .expect(200);
      expect(page.body.events.length).toBeGreaterThan(0);
      polled.push(...page.body.events.map((event: { id: string }) => event.id));
      cursor = page.body.nextCursor as string;
    }
    expect(polled).toEqual([...events.values()]);
    // Fanned out without Redis: the deliveries wait in Postgres.
    const [{ count }] = await pgQuery<{ count: number }>(
      db.url,
      `SELECT count(*)::int AS count FROM herald.deliveries`,
    );
    expect(count).toBe(50);

    await redis.start();
    await expectEventually(() => expectEachDelivered(receiver.requests, events, secret), {
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    await expectEventually(async () =>
      expect(await deliveryStatuses(db.url)).toEqual({ succeeded: 50 }),
    );
  }, 60_000);
});
