import request from 'supertest';
import { setTimeout as delay } from 'node:timers/promises';
import { createTenant, type TestTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { holdPoll } from './utils/hold-poll';
import { pgQuery } from './utils/pg-query';
import { publishAndSequence } from './utils/publish-event';
import { readEvents } from './utils/read-events';
import { readMetric } from './utils/read-metric';
import { createTestDatabase, type TestDatabase } from './utils/test-database';
import { startTestApp, type TestApp } from './utils/test-app';

describe('long poll', () => {
  let db: TestDatabase;
  let herald: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    herald = await startTestApp({
      databaseUrl: db.url,
      env: { HERALD_LONGPOLL_MAX_WAIT: '20s' },
      notifications: { longPollRecheckInterval: 500 },
    });
  });

  afterAll(async () => {
    await herald?.close();
    await db?.drop();
  });

  const poll = (tenant: TestTenant, query: string) =>
    holdPoll(herald.baseUrl, `/v1/events?${query}`, tenant.auth);
  const publish = (tenant: TestTenant, topic: string, payload = {}) =>
    request(herald.baseUrl)
      .post('/v1/events')
      .set(tenant.auth)
      .send({ topic, payload })
      .expect(201);
  const waiters = () => readMetric(herald.baseUrl, 'herald_longpoll_waiters');

  it('answers at once when events after the cursor exist', async () => {
    const tenant = await createTenant(herald);
    const event = await publishAndSequence(herald, tenant, 'ready.now');
    const { status, body } = await poll(tenant, 'after=0&wait=20').response;
    expect(status).toBe(200);
    expect(body.events.map((e) => e.id)).toEqual([event.id]);
  }, 5000);

  it('holds the request and answers as soon as a matching event is sequenced', async () => {
    const tenant = await createTenant(herald);
    const { nextCursor } = await readEvents(herald, tenant, {});
    const held = poll(tenant, `after=${nextCursor}&topics=order.*&wait=20`);
    await expectEventually(async () => expect(await waiters()).toBeGreaterThanOrEqual(1));
    await publish(tenant, 'invoice.paid');
    const matching = await publish(tenant, 'order.shipped', { n: 1 });
    const { status, body } = await held.response;
    expect(status).toBe(200);
    expect(body.events.map((e) => e.id)).toEqual([matching.body.id]);
    expect(body.nextCursor).toBe(body.events[0].cursor);
  }, 10000);

  it('times out with 200, no events and the same cursor; without after, the cursor is now', async () => {
    const tenant = await createTenant(herald);
    const { nextCursor } = await readEvents(herald, tenant, {});
    const timedOut = await poll(tenant, `after=${nextCursor}&wait=1`).response;
    expect(timedOut).toEqual({ status: 200, body: { events: [], nextCursor } });
    const fromNow = await poll(tenant, 'wait=1').response;
    expect(fromNow.body.events).toEqual([]);
    expect(BigInt(fromNow.body.nextCursor)).toBeGreaterThanOrEqual(BigInt(nextCursor));
  });

  it('caps wait at HERALD_LONGPOLL_MAX_WAIT', async () => {
    const capped = await startTestApp({
      databaseUrl: db.url,
      env: { HERALD_LONGPOLL_MAX_WAIT: '1s' },
    });
    try {
      const tenant = await createTenant(capped);
      const { nextCursor } = await readEvents(capped, tenant, {});
      const response = await holdPoll(
        capped.baseUrl,
        `/v1/events?after=${nextCursor}&wait=600`,
        tenant.auth,
      ).response;
      expect(response).toEqual({ status: 200, body: { events: [], nextCursor } });
    } finally {
      await capped.close();
    }
  }, 10000);

  it('loses no wake-up when the event is published in the same instant the poll arrives', async () => {
    const tenant = await createTenant(herald);
    for (let i = 0; i < 30; i++) {
      const { nextCursor } = await readEvents(herald, tenant, {});
      const held = poll(tenant, `after=${nextCursor}&wait=10`);
      const published = await publish(tenant, 'race.same.instant', { i });
      const { body } = await held.response;
      expect(body.events.map((e) => e.id)).toEqual([published.body.id]);
    }
  }, 30000);

  it('loses nothing at the timeout boundary: the event comes in this answer or the next', async () => {
    const tenant = await createTenant(herald);
    for (const offset of [900, 1000, 1100]) {
      const { nextCursor } = await readEvents(herald, tenant, {});
      const held = poll(tenant, `after=${nextCursor}&wait=1`);
      await delay(offset); // deliberately racing the server's own 1 s timer
      const published = await publish(tenant, 'race.boundary');
      const first = (await held.response).body;
      const next =
        first.events.length > 0
          ? first
          : (await poll(tenant, `after=${first.nextCursor}&wait=10`).response).body;
      expect(next.events.map((e) => e.id)).toEqual([published.body.id]);
    }
  }, 20000);

  it('forgets a client that disconnects: 1,000 aborted polls leave no waiter and no socket', async () => {
    const tenant = await createTenant(herald);
    const { nextCursor } = await readEvents(herald, tenant, {});
    const baseline = await readMetric(herald.baseUrl, 'herald_http_open_connections');
    const baseWaiters = await waiters();
    const held = Array.from({ length: 1000 }, () => poll(tenant, `after=${nextCursor}&wait=20`));
    await expectEventually(async () => expect(await waiters()).toBe(baseWaiters + 1000), {
      timeoutMs: 15000,
    });
    for (const h of held) h.abort();
    await expectEventually(async () => {
      expect(await waiters()).toBe(baseWaiters);
      // The scrape itself holds one connection open.
      expect(await readMetric(herald.baseUrl, 'herald_http_open_connections')).toBeLessThanOrEqual(
        baseline,
      );
    });
    await Promise.allSettled(held.map((h) => h.response));
  }, 30000);

  it('still wakes polls after its LISTEN connection was cut', async () => {
    const tenant = await createTenant(herald);
    const { nextCursor } = await readEvents(herald, tenant, {});
    const held = poll(tenant, `after=${nextCursor}&wait=20`);
    await expectEventually(async () => expect(await waiters()).toBeGreaterThanOrEqual(1));
    await pgQuery(
      db.url,
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE application_name = 'herald-listener' AND datname = current_database()`,
    );
    const published = await publish(tenant, 'after.reconnect');
    const { body } = await held.response;
    expect(body.events.map((e) => e.id)).toEqual([published.body.id]);
  }, 25000);
});

describe('long poll across instances and at shutdown', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('a poll on one instance is woken by a publish on another', async () => {
    const a = await startTestApp({ databaseUrl: db.url });
    const b = await startTestApp({ databaseUrl: db.url, env: { HERALD_ROLES: 'api' } });
    try {
      const tenant = await createTenant(a);
      const { nextCursor } = await readEvents(b, tenant, {});
      const held = holdPoll(b.baseUrl, `/v1/events?after=${nextCursor}&wait=20`, tenant.auth);
      await expectEventually(async () =>
        expect(await readMetric(b.baseUrl, 'herald_longpoll_waiters')).toBe(1),
      );
      const published = await request(a.baseUrl)
        .post('/v1/events')
        .set(tenant.auth)
        .send({ topic: 'cross.instance', payload: {} })
        .expect(201);
      const { body } = await held.response;
      expect(body.events.map((e) => e.id)).toEqual([published.body.id]);
    } finally {
      await b.close();
      await a.close();
    }
  }, 20000);

  it('answers held polls with their cursor when the app shuts down', async () => {
    const herald = await startTestApp({ databaseUrl: db.url });
    const tenant = await createTenant(herald);
    const { nextCursor } = await readEvents(herald, tenant, {});
    const held = Array.from({ length: 20 }, () =>
      holdPoll(herald.baseUrl, `/v1/events?after=${nextCursor}&wait=20`, tenant.auth),
    );
    await expectEventually(async () =>
      expect(await readMetric(herald.baseUrl, 'herald_longpoll_waiters')).toBe(20),
    );
    await herald.close();
    const answers = await Promise.all(held.map((h) => h.response));
    for (const answer of answers)
      expect(answer).toEqual({ status: 200, body: { events: [], nextCursor } });
  }, 15000);
});
