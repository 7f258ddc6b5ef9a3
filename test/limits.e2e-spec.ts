import request from 'supertest';
import { HeldPollLimiter } from '../src/notifications/limits/held-poll-limiter';
import { createTenant, type TestTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { holdPoll, type HeldPoll } from './utils/hold-poll';
import { pgQuery } from './utils/pg-query';
import { readEvents } from './utils/read-events';
import { createTestDatabase, type TestDatabase } from './utils/test-database';
import { startTestApp, type TestApp } from './utils/test-app';

/** Small limits, so that reaching them takes a handful of requests; windows long enough to hold. */
const LIMITS = {
  HERALD_RATE_LIMIT_PUBLISH: '5/1m',
  HERALD_RATE_LIMIT_MANAGEMENT: '30/1m',
  HERALD_MAX_POLLS_PER_TENANT: '3',
  HERALD_MAX_SUBSCRIPTIONS_PER_TENANT: '2',
  HERALD_LONGPOLL_MAX_WAIT: '20s',
};

/** An event stream opened with fetch: its status, and the text it has sent so far. */
interface OpenStream {
  status: number;
  text(): string;
  close(): void;
}

describe('limits', () => {
  let db: TestDatabase;
  let herald: TestApp;
  const streams: OpenStream[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    herald = await startTestApp({ databaseUrl: db.url, env: LIMITS });
  });

  afterAll(async () => {
    for (const stream of streams) stream.close();
    await herald?.close();
    await db?.drop();
  });

  const publish = (tenant: TestTenant, n: number) =>
    request(herald.baseUrl)
      .post('/v1/events')
      .set(tenant.auth)
      .send({ topic: 'limit.item', payload: { n } });
  const listSubscriptions = (tenant: TestTenant) =>
    request(herald.baseUrl).get('/v1/subscriptions').set(tenant.auth);
  const subscribe = (tenant: TestTenant, n: number) =>
    request(herald.baseUrl)
      .post('/v1/subscriptions')
      .set(tenant.auth)
      .send({ url: `http://127.0.0.1:9/${n}`, topics: ['limit.*'] });
  const poll = (tenant: TestTenant, after: string, topics = '*') =>
    holdPoll(herald.baseUrl, `/v1/events?after=${after}&topics=${topics}&wait=20`, tenant.auth);
  const heldBy = (tenant: TestTenant) =>
    herald.app.get(HeldPollLimiter, { strict: false }).heldBy(tenant.tenantId);
  const countEvents = async (tenant: TestTenant) =>
    (
      await pgQuery<{ count: number }>(
        db.url,
        'SELECT count(*)::int AS count FROM herald.events WHERE tenant_id = $1',
        [tenant.tenantId],
      )
    )[0].count;

  /** Opens `GET /v1/events/stream` and resolves once the status line is in. */
  async function openStream(tenant: TestTenant, after: string): Promise<OpenStream> {
    const controller = new AbortController();
    const response = await fetch(`${herald.baseUrl}/v1/events/stream?after=${after}`, {
      headers: tenant.auth,
      signal: controller.signal,
    });
    let text = '';
    if (response.status === 200 && response.body) {
      const decoder = new TextDecoder();
      void (async () => {
        for await (const chunk of response.body as AsyncIterable<Uint8Array>)
          text += decoder.decode(chunk, { stream: true });
      })().catch(() => undefined);
    } else {
      text = await response.text();
    }
    const stream = { status: response.status, text: () => text, close: () => controller.abort() };
    streams.push(stream);
    return stream;
  }

  /** Asserts a refusal in Herald's error shape with a usable `Retry-After`. */
  function expectRefused(
    status: number,
    headers: Record<string, string | string[] | undefined> | Headers,
    body: Record<string, unknown>,
    code: string,
    maxRetryAfter: number,
  ): void {
    expect(status).toBe(429);
    expect(body).toMatchObject({ statusCode: 429, error: 'Too Many Requests', code });
    expect(typeof body.message).toBe('string');
    const header = headers instanceof Headers ? headers.get('retry-after') : headers['retry-after'];
    const retryAfter = Number(header);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(maxRetryAfter);
    expect(body.retryAfter).toBe(retryAfter);
  }

  describe('publish rate limit', () => {
    it('refuses publishes over the limit of one API key with 429 rate_limited, writing nothing', async () => {
      const tenant = await createTenant(herald);

      const answers = await Promise.all(Array.from({ length: 8 }, (_, n) => publish(tenant, n)));

      const statuses = answers.map((answer) => answer.status).sort();
      expect(statuses).toEqual([201, 201, 201, 201, 201, 429, 429, 429]);
      for (const refused of answers.filter((answer) => answer.status === 429)) {
        expectRefused(refused.status, refused.headers, refused.body, 'rate_limited', 60);
      }
      expect(await countEvents(tenant)).toBe(5);
      // Blocked for the window: still refused, still nothing written.
      expect((await publish(tenant, 99)).status).toBe(429);
      expect(await countEvents(tenant)).toBe(5);
    });

    it('counts per API key: another key of the same tenant, and the management API, still work', async () => {
      const tenant = await createTenant(herald);
      for (let n = 0; n < 5; n++) await publish(tenant, n).expect(201);
      await publish(tenant, 5).expect(429);

      const secondKey = await request(herald.baseUrl)
        .post(`/v1/tenants/${tenant.tenantId}/api-keys`)
        .set({ Authorization: `Bearer ${herald.adminToken}` })
        .expect(201);
      await request(herald.baseUrl)
        .post('/v1/events')
        .set({ Authorization: `Bearer ${secondKey.body.key}` })
        .send({ topic: 'limit.item', payload: { n: 6 } })
        .expect(201);
      await listSubscriptions(tenant).expect(200);
      // Long polls are not rate limited (the held-poll cap bounds them).
      await readEvents(herald, tenant, { after: 0 });
    });
  });

  describe('management rate limit', () => {
    it('refuses management requests over the limit with 429 rate_limited, changing nothing', async () => {
      const tenant = await createTenant(herald);
      for (let n = 0; n < 30; n++) await listSubscriptions(tenant).expect(200);

      const listed = await listSubscriptions(tenant);
      expectRefused(listed.status, listed.headers, listed.body, 'rate_limited', 60);
      const created = await subscribe(tenant, 1);
      expectRefused(created.status, created.headers, created.body, 'rate_limited', 60);
      const rows = await pgQuery(
        db.url,
        'SELECT 1 FROM herald.subscriptions WHERE tenant_id = $1',
        [tenant.tenantId],
      );
      expect(rows).toHaveLength(0);
      // Publishing spends a budget of its own.
      await publish(tenant, 1).expect(201);
    });
  });

  describe('held-poll cap', () => {
    it('answers 429 too_many_polls while the tenant holds its cap, and admits again once one is released', async () => {
      const tenant = await createTenant(herald);
      const { nextCursor } = await readEvents(herald, tenant, {});
      const held: HeldPoll[] = [0, 1, 2].map(() => poll(tenant, nextCursor));
      await expectEventually(() => expect(heldBy(tenant)).toBe(3));

      const refused = await poll(tenant, nextCursor).response;
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({ code: 'too_many_polls', retryAfter: 1 });
      const refusedStream = await openStream(tenant, nextCursor);
      expect(refusedStream.status).toBe(429);
      expect(JSON.parse(refusedStream.text())).toMatchObject({ code: 'too_many_polls' });
      // A poll that would not hold is answered as ever.
      await readEvents(herald, tenant, { after: nextCursor });

      held[0].abort();
      await expectEventually(() => expect(heldBy(tenant)).toBe(2));
      const admitted = poll(tenant, nextCursor);
      await expectEventually(() => expect(heldBy(tenant)).toBe(3));

      // A stream holds a place for its whole life.
      held[1].abort();
      await expectEventually(() => expect(heldBy(tenant)).toBe(2));
      const stream = await openStream(tenant, nextCursor);
      expect(stream.status).toBe(200);
      expect(heldBy(tenant)).toBe(3);
      const fourth = await poll(tenant, nextCursor).response;
      expect(fourth.status).toBe(429);

      // The polls that were admitted are answered with the event as usual.
      const event = await publish(tenant, 1).expect(201);
      for (const answered of [held[2], admitted]) {
        const { status, body } = await answered.response;
        expect(status).toBe(200);
        expect(body.events.map((e) => e.id)).toEqual([event.body.id]);
      }
      await expectEventually(() => expect(stream.text()).toContain(event.body.id));
      stream.close();
      await expectEventually(() => expect(heldBy(tenant)).toBe(0));
    }, 20_000);
  });

  describe('subscription cap', () => {
    it('refuses a subscription over the cap with 409 subscription_limit_reached, even when created concurrently', async () => {
      const tenant = await createTenant(herald);

      const answers = await Promise.all([1, 2, 3, 4, 5].map((n) => subscribe(tenant, n)));

      expect(answers.map((answer) => answer.status).sort()).toEqual([201, 201, 409, 409, 409]);
      for (const refused of answers.filter((answer) => answer.status === 409)) {
        expect(refused.body).toMatchObject({
          statusCode: 409,
          error: 'Conflict',
          code: 'subscription_limit_reached',
        });
        expect(refused.body.message).toContain('2');
      }
      const created = answers.filter((answer) => answer.status === 201);
      expect((await listSubscriptions(tenant).expect(200)).body.data).toHaveLength(2);

      await request(herald.baseUrl)
        .delete(`/v1/subscriptions/${created[0].body.id}`)
        .set(tenant.auth)
        .expect(204);
      await subscribe(tenant, 6).expect(201);
      await subscribe(tenant, 7).expect(409);
    });
  });

  describe('isolation', () => {
    it('a tenant at its limits does not slow another: every request of the other succeeds', async () => {
      const [hammering, quiet] = [await createTenant(herald), await createTenant(herald)];
      const quietCursor = (await readEvents(herald, quiet, {})).nextCursor;
      const hammeringCursor = (await readEvents(herald, hammering, {})).nextCursor;

      // The hammering tenant: publishes far over its limit and holds every poll it may, and more
      // (on a topic it never publishes, so that its own events do not free its places).
      const hammeringPolls = [0, 1, 2].map(() => poll(hammering, hammeringCursor, 'idle.*'));
      await expectEventually(() => expect(heldBy(hammering)).toBe(3));
      const hammer = Promise.all([
        ...Array.from({ length: 40 }, (_, n) => publish(hammering, n)),
        ...Array.from({ length: 10 }, () => listSubscriptions(hammering)),
      ]);
      const extraPolls = [0, 1, 2].map(() => poll(hammering, hammeringCursor, 'idle.*').response);

      // Meanwhile the quiet tenant holds a poll, publishes and manages, all the while answered.
      const quietPoll = poll(quiet, quietCursor);
      await expectEventually(() => expect(heldBy(quiet)).toBe(1));
      const quietStatuses: number[] = [];
      const started = Date.now();
      for (let n = 0; n < 5; n++) {
        quietStatuses.push((await publish(quiet, n)).status);
        quietStatuses.push((await listSubscriptions(quiet)).status);
      }
      const { status, body } = await quietPoll.response;
      const quietElapsed = Date.now() - started;

      expect(quietStatuses).toEqual(Array.from({ length: 10 }, (_, i) => (i % 2 ? 200 : 201)));
      expect(status).toBe(200);
      expect(body.events[0]).toMatchObject({ topic: 'limit.item', payload: { n: 0 } });
      // Ten requests and a wake-up: seconds would mean the quiet tenant waited on the other.
      expect(quietElapsed).toBeLessThan(5000);

      const hammered = await hammer;
      expect(hammered.filter((answer) => answer.status === 201)).toHaveLength(5);
      expect(hammered.filter((answer) => answer.status === 429)).toHaveLength(35);
      expect(hammered.filter((answer) => answer.status === 200)).toHaveLength(10);
      for (const extra of await Promise.all(extraPolls)) expect(extra.status).toBe(429);
      for (const held of hammeringPolls) held.abort();
      await expectEventually(() => expect(heldBy(hammering)).toBe(0));
    }, 20_000);

    it('gives the admin token a budget of its own, apart from every tenant key', async () => {
      const tenant = await createTenant(herald);
      const admin = { Authorization: `Bearer ${herald.adminToken}` };
      let refused: request.Response | undefined;
      for (let n = 0; n < 40 && !refused; n++) {
        const answer = await request(herald.baseUrl)
          .post('/v1/tenants')
          .set(admin)
          .send({ name: `admin ${n}` });
        if (answer.status === 429) refused = answer;
        else expect(answer.status).toBe(201);
      }
      expect(refused).toBeDefined();
      if (refused) expectRefused(refused.status, refused.headers, refused.body, 'rate_limited', 60);

      await listSubscriptions(tenant).expect(200);
    });
  });
});
