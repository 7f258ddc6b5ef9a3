import request from 'supertest';
import { NotificationPublisher } from '../src/notifications';
import { busiestWindow } from './utils/busiest-window';
import { createSubscription } from './utils/create-subscription';
import { createTenant, type TestTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { listDeliveries } from './utils/list-deliveries';
import { useReceivers } from './utils/use-receivers';
import { useTestApp } from './utils/use-test-app';
import { verifyWebhook } from './utils/verify-webhook';
import type { WebhookReceiver } from './utils/webhook-receiver';

const LIMIT = 5;
const DELIVERIES = 40;
/**
 * The receiver stamps arrivals with `Date.now()` (whole milliseconds) after the request's body
 * came in; a start Redis granted at the edge of a second may arrive a hair before or after it.
 */
const CLOCK_ALLOWANCE_MS = 5;
const WINDOW_MS = 1_000 - CLOCK_ALLOWANCE_MS;

describe('a subscription rate limit', () => {
  const { herald } = useTestApp({
    env: {
      // One slot for the whole tenant: a rate-limited subscription that held it while waiting
      // for its limit would stop its neighbour.
      HERALD_MAX_IN_FLIGHT_PER_TENANT: '1',
    },
  });
  const startReceiver = useReceivers();
  const api = () => request(herald.baseUrl);

  /** Publishes `count` events in one transaction: their deliveries are due together. */
  async function publish(tenant: TestTenant, topic: string, count: number): Promise<void> {
    const publisher = herald.app.get(NotificationPublisher);
    await herald.dataSource.transaction(async (manager) => {
      for (let n = 0; n < count; n++)
        await publisher.publish({ tenantId: tenant.tenantId, topic, payload: { n } }, { manager });
    });
  }

  function arrivals(receiver: WebhookReceiver): number[] {
    return receiver.received.map((hook) => hook.receivedAt);
  }

  it('is set on create, changed and removed by PATCH, and shown on read', async () => {
    const tenant = await createTenant(herald);
    const receiver = await startReceiver();
    const created = await createSubscription(herald, tenant, receiver.url, ['a.*'], {
      rateLimit: 5,
    });
    expect(created).toMatchObject({ rateLimit: 5 });
    const path = `/v1/subscriptions/${created.id}`;
    expect((await api().get(path).set(tenant.auth).expect(200)).body.rateLimit).toBe(5);
    const patched = await api().patch(path).set(tenant.auth).send({ rateLimit: 50 }).expect(200);
    expect(patched.body.rateLimit).toBe(50);
    // Another change leaves it as it is.
    await api().patch(path).set(tenant.auth).send({ description: 'x' }).expect(200);
    expect((await api().get(path).set(tenant.auth).expect(200)).body.rateLimit).toBe(50);
    await api().patch(path).set(tenant.auth).send({ rateLimit: null }).expect(200);
    expect((await api().get(path).set(tenant.auth).expect(200)).body.rateLimit).toBeNull();
    const unlimited = await createSubscription(herald, tenant, receiver.url, ['b.*']);
    expect(unlimited).toMatchObject({ rateLimit: null });
  });

  it(`holds ${DELIVERIES} deliveries to ${LIMIT} in any second, and delivers all of them in one attempt each`, async () => {
    const tenant = await createTenant(herald);
    const receiver = await startReceiver();
    const subscription = await createSubscription(herald, tenant, receiver.url, ['paced.*'], {
      rateLimit: LIMIT,
    });

    await publish(tenant, 'paced.item', DELIVERIES);
    await expectEventually(() => expect(receiver.received).toHaveLength(DELIVERIES), {
      timeoutMs: 20_000,
    });

    const times = arrivals(receiver);
    const busiest = busiestWindow(times, WINDOW_MS);
    console.log(
      `rate limit: ${DELIVERIES} deliveries at ${LIMIT}/s arrived over ` +
        `${Math.max(...times) - Math.min(...times)} ms; the busiest ${WINDOW_MS} ms held ` +
        `${busiest.count}; closest ${LIMIT + 1} arrivals ${closestSpan(times, LIMIT + 1)} ms apart`,
    );
    expect(busiest.count).toBeLessThanOrEqual(LIMIT);
    for (const hook of receiver.received) verifyWebhook(subscription.secret, hook);
    expect(new Set(receiver.received.map((hook) => hook.headers['webhook-id'])).size).toBe(
      DELIVERIES,
    );
    // Waiting was no failure and no attempt: one attempt each, every one a success.
    const deliveries = await listDeliveries(herald, tenant, subscription.id);
    expect(deliveries).toHaveLength(DELIVERIES);
    for (const delivery of deliveries) {
      expect(delivery.status).toBe('succeeded');
      expect(delivery.attempts).toHaveLength(1);
    }
  }, 40_000);

  it('does not slow an unlimited subscription of the same tenant on the same worker', async () => {
    const tenant = await createTenant(herald);
    const limited = await startReceiver();
    const unlimited = await startReceiver();
    await createSubscription(herald, tenant, limited.url, ['paced.*'], { rateLimit: LIMIT });
    await createSubscription(herald, tenant, unlimited.url, ['free.*']);

    await publish(tenant, 'paced.item', DELIVERIES);
    // The limited subscription has used its second and waits with a backlog.
    await expectEventually(() => expect(limited.received.length).toBeGreaterThanOrEqual(LIMIT));
    const publishedAt = Date.now();
    await publish(tenant, 'free.item', DELIVERIES);
    await expectEventually(() => expect(unlimited.received).toHaveLength(DELIVERIES));
    const freeMs = Math.max(...arrivals(unlimited)) - publishedAt;
    const limitedByThen = limited.received.length;
    console.log(
      `rate limit: the unlimited neighbour's ${DELIVERIES} deliveries arrived within ${freeMs} ms ` +
        `of publishing, while the limited one had ${limitedByThen} of ${DELIVERIES}`,
    );
    // All of the neighbour's went out while the limited one still had more than a second's worth
    // waiting: none waited for its limit, though the tenant has a single slot.
    expect(limitedByThen).toBeLessThan(DELIVERIES - LIMIT);
    await expectEventually(() => expect(limited.received).toHaveLength(DELIVERIES), {
      timeoutMs: 20_000,
    });
  }, 40_000);
});

/** The shortest time over which `count` consecutive arrivals came in. */
function closestSpan(times: number[], count: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  return Math.min(...sorted.slice(count - 1).map((time, n) => time - sorted[n]));
}
