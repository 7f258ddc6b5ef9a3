import request from 'supertest';
import { createSubscription, type TestSubscription } from './utils/create-subscription';
import { createTenant, type TestTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { listDeliveries } from './utils/list-deliveries';
import { pgQuery } from './utils/pg-query';
import { publishAndSequence } from './utils/publish-event';
import { TestClock } from './utils/test-clock';
import { useReceivers } from './utils/use-receivers';
import { verifyWebhook } from './utils/verify-webhook';
import type { WebhookReceiver } from './utils/webhook-receiver';
import { useTestApp } from './utils/use-test-app';

/** Ample for a webhook sent right after a rotation to go out inside it; the test then skips it. */
const ROTATION_GRACE_MS = 60 * 60_000;
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

describe('webhook subscriptions API', () => {
  const { herald, db } = useTestApp({
    // A second attempt soon after the first, then a long wait: deliveries stay `pending` with
    // their next attempt in a Bull delayed job, where "retry now" has to overtake it.
    env: { HERALD_RETRY_SCHEDULE: '100ms,30s', HERALD_FAST_RETRIES: '2' },
  });
  const startReceiver = useReceivers();

  const api = () => request(herald.baseUrl);
  const subscribe = (tenant: TestTenant, url: string, topics?: string[], extra?: object) =>
    createSubscription(herald, tenant, url, topics, { ...extra });
  const publish = (tenant: TestTenant, topic: string, payload: object = {}) =>
    publishAndSequence(herald, tenant, topic, { ...payload });
  const storedSubscriptions = async (tenant: TestTenant) =>
    (
      await pgQuery<{ count: string }>(
        db.url,
        'SELECT count(*) FROM herald.subscriptions WHERE tenant_id = $1',
        [tenant.tenantId],
      )
    )[0].count;
  /** Waits for `count` webhooks, verifies every one with `secret` and returns their bodies. */
  const receive = async (receiver: WebhookReceiver, secret: string, count: number) => {
    await expectEventually(() => expect(receiver.received).toHaveLength(count));
    return receiver.received.map((hook) => verifyWebhook(secret, hook));
  };
  /** The subscription's deliveries as stored: `attempts` counts claims, so sends begun. */
  const storedDeliveries = (subscriptionId: string) =>
    pgQuery<{ event_id: string; status: string; attempts: number }>(
      db.url,
      'SELECT event_id, status, attempts FROM herald.deliveries WHERE subscription_id = $1',
      [subscriptionId],
    );

  describe('create', () => {
    it('generates a whsec_ secret of 32 random bytes and shows it once', async () => {
      const tenant = await createTenant(herald);
      const receiver = await startReceiver();
      const response = await api()
        .post('/v1/subscriptions')
        .set(tenant.auth)
        .send({ url: receiver.url, topics: ['order.*', 'invoice.paid'], description: 'sync' })
        .expect(201);
      expect(response.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        uid: null,
        url: receiver.url,
        topics: ['order.*', 'invoice.paid'],
        description: 'sync',
        headers: {},
        rateLimit: null,
        enabled: true,
        disabledReason: null,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
        secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]+=*$/),
      });
      const secret: string = response.body.secret;
      expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
      const otherReceiver = await startReceiver();
      const other = await subscribe(tenant, otherReceiver.url);
      expect(other.secret).not.toBe(secret);

      await publish(tenant, 'order.created', { n: 1 });
      // Each subscription signs with its own secret.
      expect(await receive(receiver, secret, 1)).toMatchObject([{ type: 'order.created' }]);
      expect(await receive(otherReceiver, other.secret, 1)).toMatchObject([{ data: { n: 1 } }]);
      expect(() => verifyWebhook(other.secret, receiver.received[0])).toThrow();
    });

    it('accepts a secret of the caller’s own and signs with it', async () => {
      const tenant = await createTenant(herald);
      const receiver = await startReceiver();
      const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
      const created = await subscribe(tenant, receiver.url, ['order.*'], { secret });
      expect(created.secret).toBe(secret);
      const event = await publish(tenant, 'order.created', { mine: true });
      const [body] = await receive(receiver, secret, 1);
      expect(body).toMatchObject({ type: 'order.created', data: { mine: true } });
      expect(receiver.received[0].headers['webhook-id']).toBe(event.id);
    });

    it.each([
      ['a secret without the whsec_ prefix', { secret: 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }],
      ['a secret that is too short', { secret: 'whsec_c2hvcnQ=' }],
      ['a secret that is not base64', { secret: `whsec_${'!'.repeat(40)}` }],
      ['a secret that is not a string', { secret: 42 }],
      ['an unknown field', { colour: 'red' }],
      ['no url', { url: undefined }],
      ['a url that is not a string', { url: 7 }],
      ['no topics', { topics: [] }],
      ['a topic in capitals', { topics: ['Order.Created'] }],
      ['a wildcard in the middle', { topics: ['order.*.created'] }],
      ['a description with a NUL character', { description: 'a\u0000b' }],
    ])('refuses %s with 400 and stores nothing', async (_case, override) => {
      const tenant = await createTenant(herald);
      const receiver = await startReceiver();
      const response = await api()
        .post('/v1/subscriptions')
        .set(tenant.auth)
        .send({ url: receiver.url, topics: ['order.*'], ...override })
        .expect(400);
      expect(response.body).toMatchObject({ statusCode: 400, code: 'validation_failed' });
      const [field] = Object.keys(override);
      expect(response.body.message).toContain(field);
      expect(await storedSubscriptions(tenant)).toBe('0');
    });

    it('holds at most 50 topics of at most 200 characters, on create and on change', async () => {
      const tenant = await createTenant(herald);
      const longest = [`${'a'.repeat(197)}.*`, 'b'.repeat(200)];
      const fifty = Array.from({ length: 50 }, (_, i) => `topic${i}.*`);
      const created = await subscribe(tenant, 'http://127.0.0.1:9/hook', longest);
      await subscribe(tenant, 'http://127.0.0.1:9/hook', fifty);
      const refused: [string[], string][] = [
        [[`${'a'.repeat(199)}.*`], 'each of topics must be at most 200 characters long'],
        [['c'.repeat(201)], 'each of topics must be at most 200 characters long'],
        [[...fifty, 'one.more'], 'topics may hold at most 50 topics'],
      ];
      for (const [topics, message] of refused) {
        const create = await api()
          .post('/v1/subscriptions')
          .set(tenant.auth)
          .send({ url: 'http://127.0.0.1:9/hook', topics })
          .expect(400);
        expect(create.body).toMatchObject({ code: 'validation_failed' });
        expect(create.body.message).toContain(message);
        const change = await api()
          .patch(`/v1/subscriptions/${created.id}`)
          .set(tenant.auth)
          .send({ topics })
          .expect(400);
        expect(change.body.message).toContain(message);
      }
      expect(await storedSubscriptions(tenant)).toBe('2');
      const read = await api().get(`/v1/subscriptions/${created.id}`).set(tenant.auth).expect(200);
      expect(read.body.topics).toEqual(longest);
    });
  });

  describe('list', () => {
    it('pages through every subscription once, oldest first, and ends with nextCursor null', async () => {
      const tenant = await createTenant(herald);
      const other = await createTenant(herald);
      await subscribe(other, 'http://127.0.0.1:9/other');
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await subscribe(tenant, `http://127.0.0.1:9/${i}`)).id);

      const seen: string[] = [];
      const pages: number[] = [];
      let cursor: string | null = null;
      do {
        const response = await api()
          .get('/v1/subscriptions')
          .query(cursor ? { limit: 2, cursor } : { limit: 2 })
          .set(tenant.auth)
          .expect(200);
        const page = response.body as { data: TestSubscription[]; nextCursor: string | null };
        expect(Object.keys(page).sort()).toEqual(['data', 'nextCursor']);
        for (const subscription of page.data) {
          expect(subscription).not.toHaveProperty('secret');
          seen.push(subscription.id);
        }
        pages.push(page.data.length);
        cursor = page.nextCursor;
      } while (cursor !== null && pages.length < 10);
      expect(seen).toEqual(ids);
      expect(pages).toEqual([2, 2, 1]);

      const all = await api().get('/v1/subscriptions').set(tenant.auth).expect(200);
      expect(all.body.data.map((s: TestSubscription) => s.id)).toEqual(ids);
      expect(all.body.nextCursor).toBeNull();
    });

    it.each([
      ['a cursor it did not make', { cursor: 'not-a-cursor' }, 'invalid_cursor'],
      ['limit 0', { limit: 0 }, 'validation_failed'],
      ['limit 101', { limit: 101 }, 'validation_failed'],
      ['an unknown parameter', { sort: 'url' }, 'validation_failed'],
    ])('answers 400 to %s', async (_case, query, code) => {
      const tenant = await createTenant(herald);
      const response = await api()
        .get('/v1/subscriptions')
        .query(query)
        .set(tenant.auth)
        .expect(400);
      expect(response.body.code).toBe(code);
    });
  });

  describe('read', () => {
    it('shows a subscription without its secret, and the secret only on its own route', async () => {
      const tenant = await createTenant(herald);
      const created = await subscribe(tenant, 'http://127.0.0.1:9/hook', ['order.*']);
      const read = await api().get(`/v1/subscriptions/${created.id}`).set(tenant.auth).expect(200);
      const { secret, ...withoutSecret } = created;
      expect(read.body).toEqual(withoutSecret);
      expect(JSON.stringify(read.body)).not.toContain(secret.slice('whsec_'.length));

      const secrets = await api()
        .get(`/v1/subscriptions/${created.id}/secret`)
        .set(tenant.auth)
        .expect(200);
      expect(secrets.body).toEqual({ secret, previousSecret: null, previousSecretExpiresAt: null });
    });

    it('answers 404 for an unknown id or uid and 400 for what can be neither', async () => {
      const tenant = await createTenant(herald);
      const missing = await api().get(`/v1/subscriptions/${UNKNOWN_ID}`).set(tenant.auth);
      expect(missing.status).toBe(404);
      expect(missing.body.code).toBe('subscription_not_found');
      await api().get('/v1/subscriptions/nope').set(tenant.auth).expect(404);
      await api().get('/v1/subscriptions/not%20a%20uid').set(tenant.auth).expect(400);
    });
  });

  describe('update', () => {
    it('changes url, topics and description; a disabled subscription gets nothing until re-enabled', async () => {
      const tenant = await createTenant(herald);
      const first = await startReceiver();
      const second = await startReceiver();
      const created = await subscribe(tenant, first.url, ['a.*']);

      const changed = await api()
        .patch(`/v1/subscriptions/${created.id}`)
        .set(tenant.auth)
        .send({ url: second.url, topics: ['b.*'], description: 'moved' })
        .expect(200);
      expect(changed.body).toMatchObject({
        url: second.url,
        topics: ['b.*'],
        description: 'moved',
        enabled: true,
      });
      expect(changed.body).not.toHaveProperty('secret');
      await publish(tenant, 'a.one');
      await publish(tenant, 'b.one');
      expect((await receive(second, created.secret, 1)).map((b) => b.type)).toEqual(['b.one']);

      const disabled = await api()
        .patch(`/v1/subscriptions/${created.id}`)
        .set(tenant.auth)
        .send({ enabled: false })
        .expect(200);
      expect(disabled.body).toMatchObject({ enabled: false, disabledReason: expect.any(String) });
      const skipped = await publish(tenant, 'b.two');
      const enabled = await api()
        .patch(`/v1/subscriptions/${created.id}`)
        .set(tenant.auth)
        .send({ enabled: true })
        .expect(200);
      expect(enabled.body).toMatchObject({ enabled: true, disabledReason: null });
      await publish(tenant, 'b.three');

      const bodies = await receive(second, created.secret, 2);
      expect(bodies.map((b) => b.type)).toEqual(['b.one', 'b.three']);
      expect(first.received).toHaveLength(0);
      const rows = await pgQuery(db.url, 'SELECT 1 FROM herald.deliveries WHERE event_id = $1', [
        skipped.id,
      ]);
      expect(rows).toHaveLength(0);
    });

    it.each([
      ['an unknown field', { colour: 'red' }],
      [
        'the secret (rotate it instead)',
        { secret: `whsec_${Buffer.alloc(32).toString('base64')}` },
      ],
      ['empty topics', { topics: [] }],
      ['enabled that is not a boolean', { enabled: 'yes' }],
    ])('refuses %s with 400 and changes nothing', async (_case, body) => {
      const tenant = await createTenant(herald);
      const created = await subscribe(tenant, 'http://127.0.0.1:9/hook', ['order.*']);
      const response = await api()
        .patch(`/v1/subscriptions/${created.id}`)
        .set(tenant.auth)
        .send(body)
        .expect(400);
      expect(response.body.code).toBe('validation_failed');
      const read = await api().get(`/v1/subscriptions/${created.id}`).set(tenant.auth).expect(200);
      expect(read.body).toMatchObject({ topics: ['order.*'], enabled: true });
    });
  });

  it('deletes a subscription with its deliveries: 204, then 404', async () => {
    const tenant = await createTenant(herald);
    const receiver = await startReceiver();
    const created = await subscribe(tenant, receiver.url);
    await publish(tenant, 'order.created');
    await receive(receiver, created.secret, 1);

    await api().delete(`/v1/subscriptions/${created.id}`).set(tenant.auth).expect(204);
    await api().get(`/v1/subscriptions/${created.id}`).set(tenant.auth).expect(404);
    await api().delete(`/v1/subscriptions/${created.id}`).set(tenant.auth).expect(404);
    expect(await storedDeliveries(created.id)).toHaveLength(0);
    // Sequenced, so fanned out: a delivery to the deleted subscription would exist by now.
    await publish(tenant, 'order.created');
    expect(await storedDeliveries(created.id)).toHaveLength(0);
    expect(receiver.received).toHaveLength(1);
  });

  describe('access', () => {
    const routes = (subscriptionId: string, deliveryId: string) =>
      [
        ['get', `/v1/subscriptions/${subscriptionId}`, undefined],
        ['patch', `/v1/subscriptions/${subscriptionId}`, { description: 'taken' }],
        ['get', `/v1/subscriptions/${subscriptionId}/secret`, undefined],
        ['post', `/v1/subscriptions/${subscriptionId}/secret/rotate`, undefined],
        ['post', `/v1/subscriptions/${subscriptionId}/test`, undefined],
        ['post', `/v1/subscriptions/${subscriptionId}/replay`, { after: '0' }],
        ['get', `/v1/subscriptions/${subscriptionId}/deliveries`, undefined],
        ['post', `/v1/deliveries/${deliveryId}/retry`, undefined],
        ['delete', `/v1/subscriptions/${subscriptionId}`, undefined],
      ] as const;

    const send = (method: 'get' | 'post' | 'patch' | 'delete', path: string, body?: object) => {
      const call = api()[method](path);
      return body ? call.send(body) : call;
    };

    it("answers 404 to another tenant's subscription and delivery, and leaves them as they were", async () => {
      const owner = await createTenant(herald);
      const intruder = await createTenant(herald);
      const receiver = await startReceiver();
      const created = await subscribe(owner, receiver.url, ['order.*']);
      await publish(owner, 'order.created');
      await receive(receiver, created.secret, 1);
      const [delivery] = await listDeliveries(herald, owner, created.id);

      for (const [method, path, body] of routes(created.id, delivery.id)) {
        const response = await send(method, path, body).set(intruder.auth);
        expect({ method, path, status: response.status }).toEqual({ method, path, status: 404 });
      }
      const read = await api().get(`/v1/subscriptions/${created.id}`).set(owner.auth).expect(200);
      expect(read.body).toMatchObject({ description: null, enabled: true });
      const secrets = await api()
        .get(`/v1/subscriptions/${created.id}/secret`)
        .set(owner.auth)
        .expect(200);
      expect(secrets.body).toMatchObject({ secret: created.secret, previousSecret: null });
      // Nothing the intruder asked for happened: no test event, no replayed or retried delivery
      // (one claim, succeeded), so nothing more can be sent.
      const events = await pgQuery(db.url, 'SELECT 1 FROM herald.events WHERE tenant_id = $1', [
        owner.tenantId,
      ]);
      expect(events).toHaveLength(1);
      expect(await storedDeliveries(created.id)).toMatchObject([
        { status: 'succeeded', attempts: 1 },
      ]);
      expect(receiver.received).toHaveLength(1);
      expect(await listDeliveries(herald, owner, created.id)).toMatchObject([
        { id: delivery.id, status: 'succeeded', attempts: [{ attempt: 1 }] },
      ]);
    });

    it('answers 403 to the admin token and 401 without credentials', async () => {
      const admin = { Authorization: `Bearer ${herald.adminToken}` };
      const tenant = await createTenant(herald);
      const created = await subscribe(tenant, 'http://127.0.0.1:9/hook');
      const all = [
        ['post', '/v1/subscriptions', { url: 'http://127.0.0.1:9/x', topics: ['*'] }],
        ['get', '/v1/subscriptions', undefined],
        ...routes(created.id, UNKNOWN_ID),
      ] as const;
      for (const [method, path, body] of all) {
        const forbidden = await send(method, path, body).set(admin);
        expect({ method, path, status: forbidden.status, code: forbidden.body.code }).toEqual({
          method,
          path,
          status: 403,
          code: 'forbidden',
        });
        const anonymous = await send(method, path, body);
        expect({ method, path, status: anonymous.status }).toEqual({ method, path, status: 401 });
      }
      expect(await storedSubscriptions(tenant)).toBe('1');
    });
  });

  it('sends a webhook.test event to this endpoint only, whatever its topics', async () => {
    const tenant = await createTenant(herald);
    const target = await startReceiver();
    const bystander = await startReceiver();
    const tested = await subscribe(tenant, target.url, ['order.*']);
    const everything = await subscribe(tenant, bystander.url, ['*']);

    const response = await api()
      .post(`/v1/subscriptions/${tested.id}/test`)
      .set(tenant.auth)
      .expect(202);
    expect(response.body).toEqual({ scheduled: 1 });
    const [body] = await receive(target, tested.secret, 1);
    expect(body).toMatchObject({
      type: 'webhook.test',
      data: { subscriptionId: tested.id, message: expect.any(String) },
    });
    const eventId = String(target.received[0].headers['webhook-id']);
    const rows = await pgQuery<{ subscription_id: string }>(
      db.url,
      'SELECT subscription_id FROM herald.deliveries WHERE event_id = $1',
      [eventId],
    );
    // Delivered, so fanned out: the bystander has no delivery of it, so nothing will come.
    expect(rows).toEqual([{ subscription_id: tested.id }]);
    expect(bystander.received).toHaveLength(0);
    expect(await listDeliveries(herald, tenant, everything.id)).toEqual([]);

    await api()
      .post(`/v1/subscriptions/${tested.id}/test`)
      .set(tenant.auth)
      .send({ message: 'hi' })
      .expect(400);
  });

  it("fails a disabled subscription's deliveries without an attempt, so none stays pending", async () => {
    const tenant = await createTenant(herald);
    const receiver = await startReceiver();
    const created = await subscribe(tenant, receiver.url, ['order.*']);
    await api()
      .patch(`/v1/subscriptions/${created.id}`)
      .set(tenant.auth)
      .send({ enabled: false })
      .expect(200);
    // A test event reaches its subscription even when disabled, and its delivery says why not.
    await api().post(`/v1/subscriptions/${created.id}/test`).set(tenant.auth).expect(202);

    const [delivery] = await expectEventually(async () => {
      const deliveries = await listDeliveries(herald, tenant, created.id);
      expect(deliveries).toMatchObject([{ status: 'failed' }]);
      return deliveries;
    });
    expect(delivery).toMatchObject({ lastError: 'subscription disabled', attempts: [] });
    expect(receiver.received).toHaveLength(0);
  });

  it('replays the events after a cursor with their original webhook-ids, nothing else', async () => {
    const tenant = await createTenant(herald);
    const receiver = await startReceiver();
    const neighbour = await startReceiver();
    const replayed = await subscribe(tenant, receiver.url, ['*']);
    const other = await subscribe(tenant, neighbour.url, ['*']);
    const first = await publish(tenant, 'order.created', { n: 1 });
    const second = await publish(tenant, 'order.paid', { n: 2 });
    const third = await publish(tenant, 'order.shipped', { n: 3 });
    await receive(receiver, replayed.secret, 3);
    // Events the replayed subscription never had must not reach it on replay either: another
    // subscription's test event.
    await api().post(`/v1/subscriptions/${other.id}/test`).set(tenant.auth).expect(202);
    await receive(neighbour, other.secret, 4);

    const response = await api()
      .post(`/v1/subscriptions/${replayed.id}/replay`)
      .set(tenant.auth)
      .send({ after: first.cursor })
      .expect(202);
    expect(response.body).toEqual({ scheduled: 2 });
    const bodies = await receive(receiver, replayed.secret, 5);
    // Deliveries run concurrently: no order is promised.
    const again = receiver.received
      .slice(3)
      .map((hook, i) => [hook.headers['webhook-id'], bodies[3 + i].data.n])
      .sort((a, b) => Number(a[1]) - Number(b[1]));
    expect(again).toEqual([
      [second.id, 2],
      [third.id, 3],
    ]);
    const deliveries = await listDeliveries(herald, tenant, replayed.id);
    expect(deliveries).toHaveLength(3);
    await expectEventually(async () => {
      const byEvent = new Map(
        (await listDeliveries(herald, tenant, replayed.id)).map((d) => [d.eventId, d]),
      );
      expect(byEvent.get(first.id)?.attempts).toHaveLength(1);
      expect(byEvent.get(second.id)).toMatchObject({ status: 'succeeded' });
      expect(byEvent.get(second.id)?.attempts).toHaveLength(2);
      expect(byEvent.get(third.id)).toMatchObject({ status: 'succeeded' });
      expect(byEvent.get(third.id)?.attempts).toHaveLength(2);
    });
    // Every delivery has succeeded and each claim is a recorded attempt: nothing is in flight and
    // nothing is due, so the five requests are all there will be.
    const claims = new Map(
      (await storedDeliveries(replayed.id)).map((row) => [row.event_id, row.attempts]),
    );
    expect(Object.fromEntries(claims)).toEqual({ [first.id]: 1, [second.id]: 2, [third.id]: 2 });
    expect(receiver.received).toHaveLength(5);

    for (const after of ['-1', 'abc', '']) {
      await api()
        .post(`/v1/subscriptions/${replayed.id}/replay`)
        .set(tenant.auth)
        .send({ after })
        .expect(400);
    }
    await api()
      .post(`/v1/subscriptions/${replayed.id}/replay`)
      .set(tenant.auth)
      .send({})
      .expect(400);
  });

  describe('deliveries', () => {
    const BIG = 'x'.repeat(10 * 1024);

    it('lists deliveries with their attempts, keeps 4 KiB of an answer, and filters by status', async () => {
      const tenant = await createTenant(herald);
      const receiver = await startReceiver();
      receiver.answer = ({ body }) =>
        body.includes('"fail"')
          ? { status: 500, body: body.includes('"euro"') ? '€'.repeat(4000) : BIG }
          : { status: 204 };
      const created = await subscribe(tenant, receiver.url, ['order.*']);
      const failing = await publish(tenant, 'order.fail', { fail: true });
      const euro = await publish(tenant, 'order.fail', { fail: true, euro: true });
      const fine = await publish(tenant, 'order.fine');

      const deliveries = await expectEventually(async () => {
        const all = await listDeliveries(herald, tenant, created.id);
        expect(all).toHaveLength(3);
        for (const d of all.filter((d) => d.eventId !== fine.id))
          expect(d.attempts).toHaveLength(2);
        return new Map(all.map((d) => [d.eventId, d]));
      });
      receiver.received.forEach((hook) => verifyWebhook(created.secret, hook));

      const failed = deliveries.get(failing.id);
      expect(failed).toMatchObject({
        status: 'pending',
        nextAttemptAt: expect.any(String),
        lastError: expect.stringContaining('500'),
      });
      for (const attempt of failed?.attempts ?? []) {
        expect(attempt).toEqual({
          attempt: expect.any(Number),
          startedAt: expect.any(String),
          durationMs: expect.any(Number),
          statusCode: 500,
          responseSnippet: BIG.slice(0, 4096),
          error: null,
        });
      }
      expect(failed?.attempts.map((a) => a.attempt)).toEqual([1, 2]);
      for (const attempt of deliveries.get(euro.id)?.attempts ?? []) {
        expect(Buffer.byteLength(attempt.responseSnippet ?? '')).toBeLessThanOrEqual(4096);
        expect(attempt.responseSnippet).toMatch(/^€+$/);
      }
      expect(deliveries.get(fine.id)).toMatchObject({
        status: 'succeeded',
        nextAttemptAt: null,
        lastError: null,
        attempts: [{ attempt: 1, statusCode: 204, responseSnippet: '', error: null }],
      });

      const ids = async (status: string) =>
        (await listDeliveries(herald, tenant, created.id, { status })).map((d) => d.eventId).sort();
      expect(await ids('pending')).toEqual([failing.id, euro.id].sort());
      expect(await ids('succeeded')).toEqual([fine.id]);
      expect(await ids('failed')).toEqual([]);
      const bad = await api()
        .get(`/v1/subscriptions/${created.id}/deliveries?status=lost`)
        .set(tenant.auth)
        .expect(400);
      expect(bad.body.code).toBe('validation_failed');

      // A replay creates its deliveries in one statement, so they share one created_at: the
      // cursor must still walk through every one of them.
      const okReceiver = await startReceiver();
      const late = await subscribe(tenant, okReceiver.url, ['order.*']);
      await api()
        .post(`/v1/subscriptions/${late.id}/replay`)
        .set(tenant.auth)
        .send({ after: '0' })
        .expect(202, { scheduled: 3 });
      for (const subscription of [created, late]) {
        const firstPage = await api()
          .get(`/v1/subscriptions/${subscription.id}/deliveries?limit=2`)
          .set(tenant.auth)
          .expect(200);
        const secondPage = await api()
          .get(`/v1/subscriptions/${subscription.id}/deliveries`)
          .query({ limit: 2, cursor: firstPage.body.nextCursor as string })
          .set(tenant.auth)
          .expect(200);
        expect(secondPage.body.nextCursor).toBeNull();
        const paged = [...firstPage.body.data, ...secondPage.body.data].map(
          (d: { eventId: string }) => d.eventId,
        );
        expect(paged.sort()).toEqual([fine.id, euro.id, failing.id].sort());
      }
      await receive(okReceiver, late.secret, 3);
    });

    it('retries one delivery now once the receiver has recovered, with the same webhook-id', async () => {
      const tenant = await createTenant(herald);
      const receiver = await startReceiver();
      receiver.answer = () => ({ status: 503 });
      const created = await subscribe(tenant, receiver.url, ['order.*']);
      const event = await publish(tenant, 'order.created');
      // Two attempts fail; the third is 30 s away.
      const [delivery] = await expectEventually(async () => {
        const all = await listDeliveries(herald, tenant, created.id);
        expect(all).toMatchObject([{ status: 'pending', attempts: [{}, {}] }]);
        return all;
      });

      receiver.answer = () => ({ status: 200, body: 'ok' });
      const retried = await api()
        .post(`/v1/deliveries/${delivery.id}/retry`)
        .set(tenant.auth)
        .expect(202);
      expect(retried.body).toMatchObject({ id: delivery.id, status: 'pending' });
      await expectEventually(
        async () =>
          expect(await listDeliveries(herald, tenant, created.id)).toMatchObject([
            {
              status: 'succeeded',
              attempts: [
                { attempt: 1, statusCode: 503 },
                { attempt: 2, statusCode: 503 },
                { attempt: 3, statusCode: 200, responseSnippet: 'ok' },
              ],
            },
          ]),
        { timeoutMs: 5000 },
      );
      const bodies = await receive(receiver, created.secret, 3);
      expect(bodies.every((b) => b.type === 'order.created')).toBe(true);
      expect(new Set(receiver.received.map((h) => h.headers['webhook-id']))).toEqual(
        new Set([event.id]),
      );

      await api().post(`/v1/deliveries/${UNKNOWN_ID}/retry`).set(tenant.auth).expect(404);
      await api().post('/v1/deliveries/nope/retry').set(tenant.auth).expect(400);
    });
  });
});

describe('webhook secret rotation', () => {
  // The app runs on a clock the test moves past the grace period instead of sleeping through it:
  // with an hour of grace, a webhook sent right after the rotation is surely inside it.
  const clock = new TestClock();
  const { herald } = useTestApp({
    notifications: { secretRotationGrace: ROTATION_GRACE_MS, clock },
  });
  const startReceiver = useReceivers();
  const api = () => request(herald.baseUrl);

  it('rotates the secret: both sign during the grace period, then only the new one', async () => {
    const tenant = await createTenant(herald);
    const receiver = await startReceiver();
    const created = await createSubscription(herald, tenant, receiver.url, ['order.*']);
    const oldSecret = created.secret;

    const rotatedAt = clock.now().getTime();
    const rotated = await api()
      .post(`/v1/subscriptions/${created.id}/secret/rotate`)
      .set(tenant.auth)
      .expect(200);
    const newSecret: string = rotated.body.secret;
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(oldSecret);
    expect(rotated.body.previousSecret).toBe(oldSecret);
    const expiresAt = Date.parse(rotated.body.previousSecretExpiresAt as string);
    expect(expiresAt - rotatedAt).toBeGreaterThanOrEqual(ROTATION_GRACE_MS);
    expect(expiresAt - clock.now().getTime()).toBeLessThanOrEqual(ROTATION_GRACE_MS);
    const read = await api()
      .get(`/v1/subscriptions/${created.id}/secret`)
      .set(tenant.auth)
      .expect(200);
    expect(read.body).toEqual(rotated.body);

    await publishAndSequence(herald, tenant, 'order.during');
    await expectEventually(() => expect(receiver.received).toHaveLength(1));
    const during = receiver.received[0];
    expect(clock.now().getTime()).toBeLessThan(expiresAt);
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifyWebhook(oldSecret, during).type).toBe('order.during');
    expect(verifyWebhook(newSecret, during).type).toBe('order.during');

    // Just past the end of the grace period.
    clock.advance(expiresAt - clock.now().getTime() + 1);
    const after = await api()
      .get(`/v1/subscriptions/${created.id}/secret`)
      .set(tenant.auth)
      .expect(200);
    expect(after.body).toEqual({
      secret: newSecret,
      previousSecret: null,
      previousSecretExpiresAt: null,
    });
    await publishAndSequence(herald, tenant, 'order.after');
    await expectEventually(() => expect(receiver.received).toHaveLength(2));
    const late = receiver.received[1];
    expect(String(late.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verifyWebhook(newSecret, late).type).toBe('order.after');
    expect(() => verifyWebhook(oldSecret, late)).toThrow();
  });
});
