import request from 'supertest';
import { setTimeout as delay } from 'node:timers/promises';
import { createSubscription, type TestSubscription } from './utils/create-subscription';
import { createTenant, type TestTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { listDeliveries } from './utils/list-deliveries';
import { pgQuery } from './utils/pg-query';
import { publishAndSequence } from './utils/publish-event';
import { readEvents } from './utils/read-events';
import { NotificationPublisher } from '../src/notifications';
import { scrapeMetrics } from './utils/scrape-metrics';
import { sendEvent } from './utils/send-event';
import { useReceivers } from './utils/use-receivers';
import { verifyWebhook } from './utils/verify-webhook';
import type { WebhookReceiver } from './utils/webhook-receiver';
import { useTestApp } from './utils/use-test-app';

/** The default `maxInFlightPerSubscription`. */
const IN_FLIGHT_CAP = 10;
/** How long the hanging receiver's attempts are held before they time out. */
const DELIVERY_TIMEOUT_MS = 10_000;

describe('a bad endpoint hurts only itself', () => {
  const { herald, db } = useTestApp({
    env: {
      // A hanging receiver holds its attempts for the whole test.
      HERALD_DELIVERY_TIMEOUT: `${DELIVERY_TIMEOUT_MS}ms`,
      HERALD_DISABLE_AFTER: '1s',
      // Twelve retries over about three seconds: longer than HERALD_DISABLE_AFTER.
      HERALD_RETRY_SCHEDULE: Array(12).fill('250ms').join(','),
      HERALD_FAST_RETRIES: '2',
      HERALD_SWEEP_INTERVAL: '200ms',
    },
  });
  const startReceiver = useReceivers();

  const api = () => request(herald.baseUrl);
  const post = (tenant: TestTenant, topic: string, payload: object = {}) =>
    api().post('/v1/events').set(tenant.auth).send({ topic, payload }).expect(201);
  const readSubscription = async (tenant: TestTenant, sub: TestSubscription) =>
    (await api().get(`/v1/subscriptions/${sub.id}`).set(tenant.auth).expect(200)).body as {
      enabled: boolean;
      disabledReason: string | null;
    };
  const expectAllVerified = (receiver: WebhookReceiver, secret: string) =>
    receiver.received.forEach((hook) => verifyWebhook(secret, hook));

  it('keeps delivering to healthy subscriptions while one receiver hangs with 30 events queued', async () => {
    const tenant = await createTenant(herald);
    const neighbour = await createTenant(herald);
    const hanging = await startReceiver();
    hanging.answer = () => 'hang';
    const sameTenant = await startReceiver();
    const otherTenant = await startReceiver();
    const stuck = await createSubscription(herald, tenant, hanging.url, ['load.*']);
    const healthy = await createSubscription(herald, tenant, sameTenant.url, ['other.*']);
    const elsewhere = await createSubscription(herald, neighbour, otherTenant.url, ['load.*']);

    for (let i = 0; i < 30; i++) await post(tenant, 'load.item', { i });
    await expectEventually(() => expect(hanging.received).toHaveLength(IN_FLIGHT_CAP));

    for (let i = 0; i < 5; i++) {
      await post(tenant, 'other.item', { i });
      await post(neighbour, 'load.item', { i });
    }
    await expectEventually(
      () => {
        expect(sameTenant.received).toHaveLength(5);
        expect(otherTenant.received).toHaveLength(5);
      },
      { timeoutMs: DELIVERY_TIMEOUT_MS },
    );
    // All of them while every slot of the hanging endpoint was still held: none waited for an
    // attempt of it to end (the first of which could end only by timing out).
    const hangingSince = Math.min(...hanging.received.map((hook) => hook.receivedAt));
    for (const hook of [...sameTenant.received, ...otherTenant.received])
      expect(hook.receivedAt).toBeLessThan(hangingSince + DELIVERY_TIMEOUT_MS);
    expectAllVerified(sameTenant, healthy.secret);
    expectAllVerified(otherTenant, elsewhere.secret);

    // The hanging endpoint is held at its cap, the rest of its backlog waiting: all thirty claimed
    // and ready to go, and a later webhook of the same process sent since, yet only ten sent.
    await expectEventually(async () => {
      const [row] = await pgQuery<{ claimed: number }>(
        db.url,
        'SELECT count(*)::int AS claimed FROM herald.deliveries WHERE subscription_id = $1 AND attempts > 0',
        [stuck.id],
      );
      expect(row.claimed).toBe(30);
    });
    await post(tenant, 'other.item', { i: 5 });
    await expectEventually(() => expect(sameTenant.received).toHaveLength(6));
    expect(hanging.received).toHaveLength(IN_FLIGHT_CAP);
    expectAllVerified(hanging, stuck.secret);
    const backlog = await listDeliveries(herald, tenant, stuck.id, { status: 'pending' });
    expect(backlog).toHaveLength(30);
  });

  it('disables a subscription with no success for HERALD_DISABLE_AFTER', async () => {
    const tenant = await createTenant(herald);
    const receiver = await startReceiver();
    receiver.answer = () => ({ status: 500 });
    const sub = await createSubscription(herald, tenant, receiver.url, ['order.*']);
    const event = await publishAndSequence(herald, tenant, 'order.created');

    const read = await expectEventually(
      async () => {
        const current = await readSubscription(tenant, sub);
        expect(current.enabled).toBe(false);
        return current;
      },
      { timeoutMs: 5000 },
    );
    expect(read.disabledReason).toMatch(/no successful delivery since/);
    const [delivery] = await listDeliveries(herald, tenant, sub.id);
    expect(delivery).toMatchObject({ eventId: event.id, status: 'failed' });
    // Disabled by time, before the schedule ran out.
    expect(delivery.attempts.length).toBeGreaterThanOrEqual(2);
    expect(delivery.attempts.length).toBeLessThan(13);
    const span =
      Date.parse(delivery.attempts.at(-1)?.startedAt ?? '') -
      Date.parse(delivery.attempts[0].startedAt);
    expect(span).toBeGreaterThanOrEqual(900);

    const page = await expectEventually(async () => {
      const events = await readEvents(herald, tenant, { topics: 'webhook.*', after: 0 });
      expect(events.events.map((e) => e.topic)).toEqual(['webhook.subscription.disabled']);
      return events;
    });
    expect(page.events[0].payload).toMatchObject({
      subscriptionId: sub.id,
      reason: read.disabledReason,
    });
    // Failed, and every claim of it is a recorded attempt: no attempt is in flight and none can be
    // claimed, so the requests received are all there will be.
    const [stored] = await pgQuery<{ status: string; attempts: number }>(
      db.url,
      'SELECT status, attempts FROM herald.deliveries WHERE id = $1',
      [delivery.id],
    );
    expect(stored).toEqual({ status: 'failed', attempts: delivery.attempts.length });
    expect(receiver.received).toHaveLength(delivery.attempts.length);

    // Re-enabled, it starts a fresh count: one failure does not disable it again.
    await api()
      .patch(`/v1/subscriptions/${sub.id}`)
      .set(tenant.auth)
      .send({ enabled: true })
      .expect(200);
    let calls = 0;
    receiver.answer = () => (++calls === 1 ? { status: 500 } : { status: 204 });
    await publishAndSequence(herald, tenant, 'order.created');
    await expectEventually(async () =>
      expect(await listDeliveries(herald, tenant, sub.id, { status: 'succeeded' })).toHaveLength(1),
    );
    expect(await readSubscription(tenant, sub)).toMatchObject({
      enabled: true,
      disabledReason: null,
    });
    expectAllVerified(receiver, sub.secret);
  });

  it('never disables a subscription that fails now and then but succeeds in between', async () => {
    const tenant = await createTenant(herald);
    const receiver = await startReceiver();
    // Every event's first attempt fails and its retry succeeds, for three times HERALD_DISABLE_AFTER.
    const seen = new Set<string>();
    receiver.answer = ({ headers }) => {
      const id = String(headers['webhook-id']);
      if (seen.has(id)) return { status: 204 };
      seen.add(id);
      return { status: 503 };
    };
    const sub = await createSubscription(herald, tenant, receiver.url, ['order.*']);
    const until = Date.now() + 3000;
    let published = 0;
    while (Date.now() < until) {
      await post(tenant, 'order.tick', { n: published++ });
      await delay(150);
    }

    await expectEventually(
      async () => {
        const deliveries = await listDeliveries(herald, tenant, sub.id, { status: 'succeeded' });
        expect(deliveries).toHaveLength(published);
      },
      { timeoutMs: 5000 },
    );
    expect(await readSubscription(tenant, sub)).toMatchObject({
      enabled: true,
      disabledReason: null,
    });
    expect(receiver.received).toHaveLength(2 * published);
    expectAllVerified(receiver, sub.secret);
    const { events } = await readEvents(herald, tenant, { topics: 'webhook.*', after: 0 });
    expect(events).toEqual([]);
  });
});

describe("one tenant's hanging endpoints and another tenant's webhooks", () => {
  /** The default `maxInFlightPerTenant`: a quarter of the worker's 100 slots. */
  const TENANT_CAP = 25;
  const ATTACKER_SUBSCRIPTIONS = 10;
  /** Per attacker subscription: more than its 10 slots, so it would hold all of them. */
  const ATTACKER_EVENTS = 30;
  // The default 15 s attempt timeout: a slot an attacker holds is held far longer than the test.
  const { herald, db } = useTestApp();
  const startReceiver = useReceivers();

  it("starts the victim's first attempt within a second while the attacker's ten subscriptions hang", async () => {
    const attacker = await createTenant(herald, 'attacker');
    const victim = await createTenant(herald, 'victim');
    const hanging: WebhookReceiver[] = [];
    for (let n = 0; n < ATTACKER_SUBSCRIPTIONS; n++) {
      const receiver = await startReceiver();
      receiver.answer = () => 'hang';
      hanging.push(receiver);
      await createSubscription(herald, attacker, receiver.url, ['load.*']);
    }
    const healthy = await startReceiver();
    await createSubscription(herald, victim, healthy.url, ['order.*']);
    // One transaction: the deliveries of all of them appear at once, so each subscription's
    // first claim takes a slot's worth or more.
    const publisher = herald.app.get(NotificationPublisher);
    await herald.dataSource.transaction(async (manager) => {
      for (let n = 0; n < ATTACKER_EVENTS; n++)
        await publisher.publish(
          { tenantId: attacker.tenantId, topic: 'load.item', payload: { n } },
          { manager },
        );
    });

    // Every attacker subscription has claimed at least a slot's worth: each would start them all
    // at once, and take every slot of the worker, if its tenant had no cap of its own.
    await expectEventually(
      async () => {
        const claimed = await pgQuery<{ count: number }>(
          db.url,
          `SELECT count(*)::int AS count FROM herald.deliveries
           WHERE tenant_id = $1 AND attempts > 0 GROUP BY subscription_id`,
          [attacker.tenantId],
        );
        expect(claimed).toHaveLength(ATTACKER_SUBSCRIPTIONS);
        for (const { count } of claimed) expect(count).toBeGreaterThanOrEqual(10);
      },
      { timeoutMs: 10_000 },
    );
    const attackerRequests = () => hanging.reduce((sum, r) => sum + r.received.length, 0);
    await expectEventually(() => expect(attackerRequests()).toBeGreaterThanOrEqual(TENANT_CAP));

    await sendEvent(herald, victim, 'order.placed');
    const published = Date.now();
    const [first] = await expectEventually(() => {
      expect(healthy.received).toHaveLength(1);
      return healthy.received;
    });

    expect(first.receivedAt - published).toBeLessThan(1_000);
    expect(attackerRequests()).toBe(TENANT_CAP);
    // The victim's attempt gives its slot back once its answer is read.
    await expectEventually(async () => {
      const metrics = await scrapeMetrics(herald.baseUrl);
      expect(metrics.value('herald_delivery_tenants_at_cap')).toBe(1);
      expect(metrics.value('herald_delivery_attempts_in_flight')).toBe(TENANT_CAP);
      expect(metrics.value('herald_delivery_tenant_cap_waits_total')).toBeGreaterThan(0);
    });
  }, 30_000);
});
