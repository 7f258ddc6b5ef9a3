import request from 'supertest';
import { createSubscription } from './utils/create-subscription';
import { createTenant, type TestTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { publishAndSequence } from './utils/publish-event';
import { startRedisServer } from './utils/redis-server';
import { scrapeMetrics } from './utils/scrape-metrics';
import { startTestApp, type TestApp } from './utils/test-app';
import { createTestDatabase, type TestDatabase } from './utils/test-database';
import { useReceivers } from './utils/use-receivers';

/** Of a histogram, the number of observations with `labels`. */
const countOf = 'herald_delivery_attempt_duration_seconds_count';

describe('/metrics', () => {
  const startReceiver = useReceivers();

  describe('with every role', () => {
    let db: TestDatabase;
    let herald: TestApp;
    let tenant: TestTenant;

    beforeAll(async () => {
      db = await createTestDatabase();
      herald = await startTestApp({
        databaseUrl: db.url,
        env: {
          // First retry after ~2 s from Bull (long enough to see the delayed job), the second
          // parked in Postgres for 10 minutes: well past the end of the test.
          HERALD_RETRY_SCHEDULE: '2s,10m',
          HERALD_FAST_RETRIES: '1',
          HERALD_SWEEP_INTERVAL: '200ms',
          HERALD_DELIVERY_TIMEOUT: '2s',
        },
      });
      tenant = await createTenant(herald);
    });

    afterAll(async () => {
      await herald?.close();
      await db?.drop();
    });

    const metric = async (name: string, labels?: Record<string, string>) => {
      const value = (await scrapeMetrics(herald.baseUrl)).value(name, labels);
      if (value === undefined) throw new Error(`no sample ${name} ${JSON.stringify(labels)}`);
      return value;
    };

    it('counts published events', async () => {
      const before = await metric('herald_events_published_total');
      await request(herald.baseUrl)
        .post('/v1/events')
        .set(tenant.auth)
        .send({ topic: 'metrics.published', payload: {} })
        .expect(201);
      expect(await metric('herald_events_published_total')).toBe(before + 1);
    });

    it('reports the queue depths by state', async () => {
      const scrape = await scrapeMetrics(herald.baseUrl);
      for (const state of ['waiting', 'delayed', 'active']) {
        expect(scrape.value('herald_queue_jobs', { state })).toEqual(expect.any(Number));
        expect(scrape.value('herald_queue_jobs', { state })).toBeGreaterThanOrEqual(0);
      }
    });

    it('counts a delivery that succeeds, with its duration', async () => {
      const receiver = await startReceiver();
      receiver.answer = () => ({ status: 200 });
      await createSubscription(herald, tenant, receiver.url, ['metrics.ok']);
      const succeeded = await metric('herald_deliveries_total', { outcome: 'succeeded' });
      const timed = await metric(countOf, { outcome: 'succeeded' });

      await publishAndSequence(herald, tenant, 'metrics.ok');

      await expectEventually(async () =>
        expect(await metric('herald_deliveries_total', { outcome: 'succeeded' })).toBe(
          succeeded + 1,
        ),
      );
      expect(await metric(countOf, { outcome: 'succeeded' })).toBe(timed + 1);
      expect(receiver.received).toHaveLength(1);
    });

    it('counts retries, shows the delayed job, then the parked delivery', async () => {
      const receiver = await startReceiver();
      receiver.answer = () => ({ status: 500 });
      await createSubscription(herald, tenant, receiver.url, ['metrics.failing']);
      const retrying = await metric('herald_deliveries_total', { outcome: 'retrying' });
      const timed = await metric(countOf, { outcome: 'retrying' });
      const parked = await metric('herald_deliveries_parked');

      await publishAndSequence(herald, tenant, 'metrics.failing');

      // The first failure waits in Bull as a delayed job, and the delivery is pending.
      await expectEventually(async () => {
        const scrape = await scrapeMetrics(herald.baseUrl);
        expect(scrape.value('herald_deliveries_total', { outcome: 'retrying' })).toBe(retrying + 1);
        expect(scrape.value('herald_queue_jobs', { state: 'delayed' })).toBeGreaterThanOrEqual(1);
        expect(scrape.value('herald_deliveries_pending')).toBeGreaterThanOrEqual(1);
      });
      // The second failure is past the one fast retry: parked in Postgres.
      await expectEventually(
        async () => {
          const scrape = await scrapeMetrics(herald.baseUrl);
          expect(scrape.value('herald_deliveries_total', { outcome: 'retrying' })).toBe(
            retrying + 2,
          );
          expect(scrape.value('herald_deliveries_parked')).toBe(parked + 1);
        },
        { timeoutMs: 10_000 },
      );
      expect(await metric(countOf, { outcome: 'retrying' })).toBe(timed + 2);
      expect(receiver.received).toHaveLength(2);
    });

    it('counts a delivery that fails for good, and the subscription it disables', async () => {
      const receiver = await startReceiver();
      receiver.answer = () => ({ status: 410 });
      await createSubscription(herald, tenant, receiver.url, ['metrics.gone']);
      const failed = await metric('herald_deliveries_total', { outcome: 'failed' });
      const disabled = await metric('herald_subscriptions_disabled');

      await publishAndSequence(herald, tenant, 'metrics.gone');

      await expectEventually(async () => {
        const scrape = await scrapeMetrics(herald.baseUrl);
        expect(scrape.value('herald_deliveries_total', { outcome: 'failed' })).toBe(failed + 1);
        expect(scrape.value('herald_subscriptions_disabled')).toBe(disabled + 1);
      });
    });

    it('counts a subscription its owner disables', async () => {
      const receiver = await startReceiver();
      const subscription = await createSubscription(herald, tenant, receiver.url, ['metrics.x']);
      const disabled = await metric('herald_subscriptions_disabled');

      await request(herald.baseUrl)
        .patch(`/v1/subscriptions/${subscription.id}`)
        .set(tenant.auth)
        .send({ enabled: false })
        .expect(200);

      expect(await metric('herald_subscriptions_disabled')).toBe(disabled + 1);
    });
  });

  describe('sequencer lag', () => {
    let db: TestDatabase;
    const apps: TestApp[] = [];

    beforeAll(async () => {
      db = await createTestDatabase();
    });

    afterAll(async () => {
      for (const app of apps) await app.close();
      await db?.drop();
    });

    it('grows while no sequencer runs and is 0 once one has caught up', async () => {
      // An api-only process: it publishes, but stamps nothing and never touches Redis.
      const api = await startTestApp({ databaseUrl: db.url, env: { HERALD_ROLES: 'api' } });
      apps.push(api);
      const tenant = await createTenant(api);
      expect((await scrapeMetrics(api.baseUrl)).value('herald_sequencer_lag_seconds')).toBe(0);

      await request(api.baseUrl)
        .post('/v1/events')
        .set(tenant.auth)
        .send({ topic: 'metrics.lag', payload: {} })
        .expect(201);

      await expectEventually(async () =>
        expect(
          (await scrapeMetrics(api.baseUrl)).value('herald_sequencer_lag_seconds'),
        ).toBeGreaterThan(0.2),
      );
      expect((await scrapeMetrics(api.baseUrl)).text).not.toContain('herald_queue_jobs');

      apps.push(await startTestApp({ databaseUrl: db.url, env: { HERALD_ROLES: 'sequencer' } }));
      await expectEventually(async () =>
        expect((await scrapeMetrics(api.baseUrl)).value('herald_sequencer_lag_seconds')).toBe(0),
      );
    });
  });

  describe('while Redis is down', () => {
    it('answers at once, with the queue depths unknown and the database ones still read', async () => {
      const db = await createTestDatabase();
      const redis = await startRedisServer();
      const herald = await startTestApp({ databaseUrl: db.url, env: { REDIS_URL: redis.url } });
      try {
        const before = await scrapeMetrics(herald.baseUrl);
        expect(before.value('herald_queue_jobs', { state: 'waiting' })).toBe(0);

        await redis.stop();
        const started = Date.now();
        const scrape = await scrapeMetrics(herald.baseUrl);

        expect(Date.now() - started).toBeLessThan(3000);
        for (const state of ['waiting', 'delayed', 'active']) {
          expect(scrape.value('herald_queue_jobs', { state })).toBeNaN();
        }
        // Counters are written out before the gauges' reads end: the failure shows next time.
        expect(
          (await scrapeMetrics(herald.baseUrl)).value('herald_metrics_collect_errors_total', {
            source: 'redis',
          }),
        ).toBeGreaterThanOrEqual(1);
        expect(scrape.value('herald_sequencer_lag_seconds')).toBe(0);
        expect(scrape.value('herald_deliveries_pending')).toBe(0);

        await redis.start();
        await expectEventually(async () =>
          expect(
            (await scrapeMetrics(herald.baseUrl)).value('herald_queue_jobs', { state: 'waiting' }),
          ).toBe(0),
        );
      } finally {
        await herald.close();
        await redis.stop();
        await db.drop();
      }
    }, 60_000);
  });
});
