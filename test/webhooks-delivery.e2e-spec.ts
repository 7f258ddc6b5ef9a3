import request from 'supertest';
import { createSubscription, type TestSubscription } from './utils/create-subscription';
import { createTenant, type TestTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { listDeliveries, type TestDelivery } from './utils/list-deliveries';
import { pgQuery } from './utils/pg-query';
import { publishAndSequence } from './utils/publish-event';
import { readEvents } from './utils/read-events';
import { useReceivers } from './utils/use-receivers';
import { verifyWebhook } from './utils/verify-webhook';
import type { ReceivedWebhook, WebhookReceiver } from './utils/webhook-receiver';
import { useTestApp } from './utils/use-test-app';

/** HERALD_RETRY_SCHEDULE below: 3 retries, so 4 attempts. */
const ATTEMPTS = 4;

describe('webhook fan-out, delivery and retries', () => {
  const { herald, db } = useTestApp({
    env: {
      HERALD_RETRY_SCHEDULE: '200ms,200ms,200ms',
      // The first retry waits in Bull, the next two are parked in Postgres for the sweeper.
      HERALD_FAST_RETRIES: '1',
      HERALD_SWEEP_INTERVAL: '200ms',
      HERALD_DELIVERY_TIMEOUT: '1s',
    },
  });
  const startReceiver = useReceivers();

  const api = () => request(herald.baseUrl);
  const publish = (tenant: TestTenant, topic: string, payload: object = {}) =>
    publishAndSequence(herald, tenant, topic, { ...payload });
  const deliveriesOf = (tenant: TestTenant, subscription: TestSubscription) =>
    listDeliveries(herald, tenant, subscription.id);
  /** Waits until the subscription's only delivery is settled (not pending), and returns it. */
  const settled = (tenant: TestTenant, subscription: TestSubscription, timeoutMs = 5000) =>
    expectEventually(
      async () => {
        const [delivery, ...rest] = await deliveriesOf(tenant, subscription);
        expect(rest).toEqual([]);
        expect(delivery?.status).not.toBe('pending');
        return delivery;
      },
      { timeoutMs },
    );
  const expectAllVerified = (receiver: WebhookReceiver, secret: string) =>
    receiver.received.map((hook) => verifyWebhook(secret, hook));
  const timestampOf = (hook: ReceivedWebhook) => Number(hook.headers['webhook-timestamp']);
  /**
   * Asserts the hook was signed (in unix seconds) no earlier than `notBefore` and no later than it
   * arrived: bounds taken from what happened, so a slow machine cannot push it out of them.
   */
  const expectSignedBetween = (hook: ReceivedWebhook, notBefore: number) => {
    expect(timestampOf(hook)).toBeGreaterThanOrEqual(Math.floor(notBefore / 1000));
    expect(timestampOf(hook)).toBeLessThanOrEqual(hook.receivedAt / 1000);
  };
  /** A delivery as stored: `attempts` counts claims, so sends begun. */
  const storedDelivery = async (id: string) =>
    (
      await pgQuery<{ status: string; attempts: number }>(
        db.url,
        'SELECT status, attempts FROM herald.deliveries WHERE id = $1',
        [id],
      )
    )[0];

  describe('fan-out', () => {
    it('creates one delivery per matching (event, subscription), wildcards included', async () => {
      const tenant = await createTenant(herald);
      const stranger = await createTenant(herald);
      const topicsOf = {
        prefix: ['order.*'],
        everything: ['*'],
        exact: ['order.created'],
        invoices: ['invoice.*'],
        overlapping: ['order.*', 'order.created', '*'],
        disabled: ['*'],
      };
      const subscriptions = new Map<string, { sub: TestSubscription; receiver: WebhookReceiver }>();
      for (const [name, topics] of Object.entries(topicsOf)) {
        const receiver = await startReceiver();
        subscriptions.set(name, {
          sub: await createSubscription(herald, tenant, receiver.url, topics),
          receiver,
        });
      }
      const disabled = subscriptions.get('disabled');
      await api()
        .patch(`/v1/subscriptions/${disabled?.sub.id}`)
        .set(tenant.auth)
        .send({ enabled: false })
        .expect(200);
      const strangerReceiver = await startReceiver();
      const strangers = await createSubscription(herald, stranger, strangerReceiver.url, ['*']);

      const events = {
        created: await publish(tenant, 'order.created'),
        itemAdded: await publish(tenant, 'order.item.added'),
        lookalike: await publish(tenant, 'orders.created'),
        invoice: await publish(tenant, 'invoice.paid'),
      };
      const expected: Record<string, string[]> = {
        prefix: [events.created.id, events.itemAdded.id],
        everything: Object.values(events).map((e) => e.id),
        exact: [events.created.id],
        invoices: [events.invoice.id],
        overlapping: Object.values(events).map((e) => e.id),
        disabled: [],
      };

      for (const [name, { sub, receiver }] of subscriptions) {
        const want = expected[name];
        await expectEventually(() => expect(receiver.received).toHaveLength(want.length));
        expectAllVerified(receiver, sub.secret);
        const ids = receiver.received.map((hook) => String(hook.headers['webhook-id']));
        expect({ name, ids: ids.sort() }).toEqual({ name, ids: [...want].sort() });
      }
      const rows = await pgQuery<{ event_id: string; subscription_id: string; n: string }>(
        db.url,
        `SELECT event_id, subscription_id, count(*) AS n FROM herald.deliveries
         WHERE tenant_id = $1 GROUP BY event_id, subscription_id`,
        [tenant.tenantId],
      );
      const wanted = [...subscriptions].flatMap(([name, { sub }]) =>
        expected[name].map((eventId) => `${eventId}/${sub.id}/1`),
      );
      expect(rows.map((r) => `${r.event_id}/${r.subscription_id}/${r.n}`).sort()).toEqual(
        wanted.sort(),
      );
      // Every event is fanned out (sequenced, and delivered elsewhere) without a delivery to the
      // disabled subscription or the other tenant's: nothing will be sent to them.
      const notMeant = await pgQuery(
        db.url,
        'SELECT 1 FROM herald.deliveries WHERE subscription_id = ANY($1::uuid[])',
        [[disabled?.sub.id, strangers.id]],
      );
      expect(notMeant).toEqual([]);
      expect(disabled?.receiver.received).toEqual([]);
      expect(strangerReceiver.received).toEqual([]);
    });
  });

  describe('the request', () => {
    it('carries the Standard Webhooks headers and the {type, timestamp, data} body', async () => {
      const tenant = await createTenant(herald);
      const receiver = await startReceiver();
      const sub = await createSubscription(herald, tenant, receiver.url, ['order.*']);
      const payload = { id: 42, name: 'Zoë “quoted” ✓', nested: { list: [1, null, true] } };
      const publishing = Date.now();
      const published = await api()
        .post('/v1/events')
        .set(tenant.auth)
        .send({ topic: 'order.created', payload })
        .expect(201);

      await expectEventually(() => expect(receiver.received).toHaveLength(1));
      const [hook] = receiver.received;
      expect(hook.headers['content-type']).toBe('application/json');
      expect(hook.headers['webhook-id']).toBe(published.body.id);
      expect(hook.headers['webhook-timestamp']).toMatch(/^\d+$/);
      expectSignedBetween(hook, publishing);
      expect(hook.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+={0,2}$/);
      const body = JSON.parse(hook.body) as Record<string, unknown>;
      expect(Object.keys(body)).toEqual(['type', 'timestamp', 'data']);
      expect(body).toEqual({
        type: 'order.created',
        timestamp: published.body.createdAt,
        data: payload,
      });
      expect(verifyWebhook(sub.secret, hook)).toEqual(body);
    });

    it('does not follow a redirect and counts it as a failure', async () => {
      const tenant = await createTenant(herald);
      const receiver = await startReceiver();
      const elsewhere = await startReceiver();
      receiver.answer = () => ({ status: 302, headers: { location: elsewhere.url } });
      const sub = await createSubscription(herald, tenant, receiver.url, ['order.*']);
      await publish(tenant, 'order.created');

      const delivery = await settled(tenant, sub);
      expect(delivery).toMatchObject({
        status: 'failed',
        lastError: expect.stringContaining('302'),
      });
      expect(delivery.attempts.map((a) => a.statusCode)).toEqual(Array(ATTEMPTS).fill(302));
      expect(receiver.received).toHaveLength(ATTEMPTS);
      expectAllVerified(receiver, sub.secret);
      expect(elsewhere.received).toEqual([]);
    });

    it('gives up on a receiver slower than HERALD_DELIVERY_TIMEOUT and records a timeout', async () => {
      const tenant = await createTenant(herald);
      const receiver = await startReceiver();
      receiver.answer = () => 'hang';
      const sub = await createSubscription(herald, tenant, receiver.url, ['order.*']);
      await publish(tenant, 'order.created');

      const [delivery] = await expectEventually(
        async () => {
          const all = await deliveriesOf(tenant, sub);
          expect(all[0]?.attempts.length).toBeGreaterThanOrEqual(1);
          return all;
        },
        { timeoutMs: 4000 },
      );
      const [first] = delivery.attempts;
      expect(first).toMatchObject({
        attempt: 1,
        statusCode: null,
        error: expect.stringMatching(/timeout/i),
      });
      expect(first.durationMs).toBeGreaterThanOrEqual(950);
      expect(first.durationMs).toBeLessThan(2500);
      expect(delivery.lastError).toMatch(/timeout/i);
      expectAllVerified(receiver, sub.secret);
    });
  });

  describe('retries', () => {
    it('retries a failing receiver until it answers 2xx, with the same webhook-id and fresh timestamps', async () => {
      const tenant = await createTenant(herald);
      const receiver = await startReceiver();
      let calls = 0;
      receiver.answer = () => (++calls <= 3 ? { status: 500 } : { status: 204 });
      const sub = await createSubscription(herald, tenant, receiver.url, ['order.*']);
      const publishing = Date.now();
      const event = await publish(tenant, 'order.created', { n: 1 });

      const delivery = await settled(tenant, sub);
      expect(delivery.status).toBe('succeeded');
      expect(delivery.attempts.map((a) => [a.attempt, a.statusCode])).toEqual([
        [1, 500],
        [2, 500],
        [3, 500],
        [4, 204],
      ]);
      expect(receiver.received).toHaveLength(ATTEMPTS);
      expect(expectAllVerified(receiver, sub.secret).every((b) => b.data.n === 1)).toBe(true);
      for (const [i, hook] of receiver.received.entries()) {
        expect(hook.headers['webhook-id']).toBe(event.id);
        // Signed when sent (after the attempt before it was answered), not when first tried.
        expectSignedBetween(hook, i > 0 ? receiver.received[i - 1].receivedAt : publishing);
        // The schedule's 200 ms, less its 20 % jitter.
        if (i > 0)
          expect(hook.receivedAt - receiver.received[i - 1].receivedAt).toBeGreaterThanOrEqual(150);
      }
    });

    it('fails after exactly n + 1 attempts and publishes webhook.attempt.exhausted; a retry then succeeds', async () => {
      const tenant = await createTenant(herald);
      const receiver = await startReceiver();
      const watcher = await startReceiver();
      receiver.answer = () => ({ status: 500, body: 'down' });
      const sub = await createSubscription(herald, tenant, receiver.url, ['order.*']);
      const operations = await createSubscription(herald, tenant, watcher.url, ['webhook.*']);
      const event = await publish(tenant, 'order.created');

      const delivery = await settled(tenant, sub);
      expect(delivery).toMatchObject({
        status: 'failed',
        nextAttemptAt: null,
        lastError: 'HTTP 500',
      });
      expect(delivery.attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
      // Failed, and claimed only for the four recorded attempts: none is in flight and none can
      // be claimed, so the four requests received are all there will be.
      expect(await storedDelivery(delivery.id)).toEqual({ status: 'failed', attempts: ATTEMPTS });
      expect(receiver.received).toHaveLength(ATTEMPTS);
      expectAllVerified(receiver, sub.secret);
      expect(await listDeliveries(herald, tenant, sub.id, { status: 'failed' })).toHaveLength(1);
      expect(await listDeliveries(herald, tenant, sub.id, { status: 'pending' })).toHaveLength(0);

      const exhausted = {
        type: 'webhook.attempt.exhausted',
        data: {
          subscriptionId: sub.id,
          deliveryId: delivery.id,
          eventId: event.id,
          topic: 'order.created',
          attempts: ATTEMPTS,
          lastError: 'HTTP 500',
        },
      };
      const page = await expectEventually(async () => {
        const read = await readEvents(herald, tenant, { topics: 'webhook.*', after: 0 });
        expect(read.events).toHaveLength(1);
        return read;
      });
      expect(page.events[0]).toMatchObject({ topic: exhausted.type, payload: exhausted.data });
      // Operational events are events like any other: a subscription to them gets them.
      await expectEventually(() => expect(watcher.received).toHaveLength(1));
      expect(verifyWebhook(operations.secret, watcher.received[0])).toMatchObject(exhausted);

      receiver.answer = () => ({ status: 200 });
      await api().post(`/v1/deliveries/${delivery.id}/retry`).set(tenant.auth).expect(202);
      const retried = await settled(tenant, sub);
      expect(retried.status).toBe('succeeded');
      expect(retried.attempts.map((a) => a.statusCode)).toEqual([500, 500, 500, 500, 200]);
      expect(new Set(receiver.received.map((h) => h.headers['webhook-id']))).toEqual(
        new Set([event.id]),
      );
      expectAllVerified(receiver, sub.secret);
    });

    it('starts a retry by hand afresh: an attempt lost before it does not count against its schedule', async () => {
      const tenant = await createTenant(herald);
      const receiver = await startReceiver();
      receiver.answer = () => ({ status: 500, body: 'down' });
      const sub = await createSubscription(herald, tenant, receiver.url, ['order.*']);
      await publish(tenant, 'order.created');
      const delivery = await settled(tenant, sub);
      expect(delivery.attempts).toHaveLength(ATTEMPTS);
      // What an attempt whose outcome was never recorded leaves behind: a lease run out.
      await pgQuery(
        db.url,
        `UPDATE herald.deliveries SET lease_until = now() - interval '1 second' WHERE id = $1`,
        [delivery.id],
      );

      await api().post(`/v1/deliveries/${delivery.id}/retry`).set(tenant.auth).expect(202);
      await expectEventually(async () =>
        expect(await storedDelivery(delivery.id)).toEqual({
          status: 'failed',
          attempts: 2 * ATTEMPTS,
        }),
      );
      expect(receiver.received).toHaveLength(2 * ATTEMPTS);
    });

    it('disables the subscription at once on 410 Gone and fails its pending deliveries', async () => {
      const tenant = await createTenant(herald);
      const receiver = await startReceiver();
      receiver.answer = ({ body }) =>
        body.includes('"order.slow"')
          ? { status: 429, headers: { 'retry-after': '60' } }
          : { status: 410 };
      const sub = await createSubscription(herald, tenant, receiver.url, ['order.*']);
      // A delivery left pending, its next attempt a minute away.
      const waiting = await publish(tenant, 'order.slow');
      await expectEventually(async () =>
        expect(await deliveriesOf(tenant, sub)).toMatchObject([
          { status: 'pending', attempts: [{ statusCode: 429 }] },
        ]),
      );

      const gone = await publish(tenant, 'order.gone');
      const read = await expectEventually(async () => {
        const response = await api()
          .get(`/v1/subscriptions/${sub.id}`)
          .set(tenant.auth)
          .expect(200);
        expect(response.body.enabled).toBe(false);
        return response.body as { disabledReason: string };
      });
      expect(read.disabledReason).toMatch(/410/);
      const deliveries = new Map<string, TestDelivery>(
        (await deliveriesOf(tenant, sub)).map((d) => [d.eventId, d]),
      );
      expect(deliveries.get(gone.id)).toMatchObject({
        status: 'failed',
        attempts: [{ attempt: 1, statusCode: 410 }],
      });
      expect(deliveries.get(waiting.id)).toMatchObject({
        status: 'failed',
        lastError: expect.stringMatching(/disabled/),
      });
      expect(deliveries.get(waiting.id)?.attempts).toHaveLength(1);

      const { events } = await expectEventually(async () => {
        const page = await readEvents(herald, tenant, { topics: 'webhook.*', after: 0 });
        expect(page.events.map((e) => e.topic)).toEqual(['webhook.subscription.disabled']);
        return page;
      });
      expect(events[0].payload).toEqual({
        subscriptionId: sub.id,
        url: receiver.url,
        reason: read.disabledReason,
      });

      // Sequenced, so fanned out: no delivery of it to the disabled subscription. The two failed
      // deliveries were each claimed once, for the attempt recorded: nothing more will be sent.
      const later = await publish(tenant, 'order.later');
      const rows = await pgQuery(db.url, 'SELECT 1 FROM herald.deliveries WHERE event_id = $1', [
        later.id,
      ]);
      expect(rows).toEqual([]);
      for (const { id } of deliveries.values())
        expect(await storedDelivery(id)).toEqual({ status: 'failed', attempts: 1 });
      expect(receiver.received).toHaveLength(2);
      expectAllVerified(receiver, sub.secret);
    });

    it('announces a subscription disabled once, however many attempts meet the 410', async () => {
      const tenant = await createTenant(herald);
      const receiver = await startReceiver();
      receiver.answer = () => ({ status: 410 });
      for (let n = 0; n < 5; n++) await publish(tenant, 'order.created', { n });
      // A replay hints all five deliveries at once, so their attempts run side by side.
      const sub = await createSubscription(herald, tenant, receiver.url, ['order.*']);
      await api()
        .post(`/v1/subscriptions/${sub.id}/replay`)
        .set(tenant.auth)
        .send({ after: '0' })
        .expect(202, { scheduled: 5 });
      await expectEventually(async () => {
        const deliveries = await deliveriesOf(tenant, sub);
        expect(deliveries.map((d) => d.status)).toEqual(Array(5).fill('failed'));
      });
      // Every attempt that met the 410 is recorded (all five deliveries failed), and with it any
      // announcement it made; an event published after them all and sequenced means every
      // announcement is sequenced too, so the read below shows them all.
      await publish(tenant, 'order.after');
      const { events } = await readEvents(herald, tenant, { topics: 'webhook.*', after: 0 });
      expect(events.map((e) => e.topic)).toEqual(['webhook.subscription.disabled']);
      expect(receiver.received.length).toBeGreaterThanOrEqual(1);
      expectAllVerified(receiver, sub.secret);
    });

    it.each([429, 503])('honours Retry-After on %i', async (status) => {
      const tenant = await createTenant(herald);
      const receiver = await startReceiver();
      let calls = 0;
      receiver.answer = () =>
        ++calls === 1 ? { status, headers: { 'retry-after': '1' } } : { status: 204 };
      const sub = await createSubscription(herald, tenant, receiver.url, ['order.*']);
      await publish(tenant, 'order.created');

      const delivery = await settled(tenant, sub);
      expect(delivery.status).toBe('succeeded');
      expect(delivery.attempts.map((a) => a.statusCode)).toEqual([status, 204]);
      const [first, second] = receiver.received;
      // Not the schedule's 200 ms: the second attempt waits the second the receiver asked for.
      expect(second.receivedAt - first.receivedAt).toBeGreaterThanOrEqual(950);
      expect(timestampOf(second)).toBeGreaterThan(timestampOf(first));
      expect(first.headers['webhook-id']).toBe(second.headers['webhook-id']);
      expectAllVerified(receiver, sub.secret);
    });
  });
});
