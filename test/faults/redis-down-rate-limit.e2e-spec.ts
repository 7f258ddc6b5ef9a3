import { NotificationPublisher } from '../../src/notifications';
import { busiestWindow } from '../utils/busiest-window';
import { createSubscription } from '../utils/create-subscription';
import { createTenant } from '../utils/create-tenant';
import { expectEventually } from '../utils/expect-eventually';
import { listDeliveries } from '../utils/list-deliveries';
import { startRecordingReceiver, type RecordingReceiver } from '../utils/recording-receiver';
import { startRedisServer, type RedisServer } from '../utils/redis-server';
import { startTestApp, type TestApp } from '../utils/test-app';
import { createTestDatabase, type TestDatabase } from '../utils/test-database';

const LIMIT = 5;
const DELIVERIES = 30;
/** The receiver stamps arrivals with `Date.now()`, in whole milliseconds. */
const WINDOW_MS = 1_000 - 5;

/**
 * Redis stops while a rate-limited subscription has a backlog being drained: the drain goes on
 * with the worker's own window, and the limit still holds, across the moment Redis went too.
 */
describe('a rate limit while Redis is down', () => {
  let db: TestDatabase;
  let redis: RedisServer;
  let receiver: RecordingReceiver;
  let herald: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    redis = await startRedisServer();
    receiver = await startRecordingReceiver();
    herald = await startTestApp({ databaseUrl: db.url, env: { REDIS_URL: redis.url } });
  });

  afterAll(async () => {
    await herald?.close();
    await receiver?.close();
    await redis?.stop();
    await db?.drop();
  });

  it(`keeps a backlog going out at ${LIMIT} a second or less on the worker's own count`, async () => {
    const tenant = await createTenant(herald);
    const subscription = await createSubscription(herald, tenant, receiver.url, ['paced.*'], {
      rateLimit: LIMIT,
    });
    const publisher = herald.app.get(NotificationPublisher);
    await herald.dataSource.transaction(async (manager) => {
      for (let n = 0; n < DELIVERIES; n++)
        await publisher.publish(
          { tenantId: tenant.tenantId, topic: 'paced.item', payload: { n } },
          { manager },
        );
    });
    // The drain has started on Redis's window and waits for its next second.
    await expectEventually(() => expect(receiver.requests.length).toBeGreaterThanOrEqual(LIMIT));
    await redis.stop();
    const stoppedAt = Date.now();

    await expectEventually(() => expect(receiver.requests).toHaveLength(DELIVERIES), {
      timeoutMs: 20_000,
    });
    const times = receiver.requests.map((hook) => hook.receivedAt);
    const busiest = busiestWindow(times, WINDOW_MS);
    const afterStop = times.filter((time) => time > stoppedAt).length;
    console.log(
      `rate limit without Redis: ${afterStop} of ${DELIVERIES} sent after Redis stopped; ` +
        `the busiest ${WINDOW_MS} ms held ${busiest.count}`,
    );
    expect(afterStop).toBeGreaterThanOrEqual(DELIVERIES - 2 * LIMIT);
    expect(busiest.count).toBeLessThanOrEqual(LIMIT);
    const deliveries = await listDeliveries(herald, tenant, subscription.id);
    expect(deliveries).toHaveLength(DELIVERIES);
    for (const delivery of deliveries) {
      expect(delivery.status).toBe('succeeded');
      expect(delivery.attempts).toHaveLength(1);
    }
  }, 40_000);
});
