import { createHash } from 'node:crypto';
import request from 'supertest';
import { HeldPollLimiter } from '../src/notifications/limits/held-poll-limiter';
import { createSubscription } from './utils/create-subscription';
import { createTenant, type TestTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { holdPoll } from './utils/hold-poll';
import { openEventStream } from './utils/open-event-stream';
import { publishAndSequence } from './utils/publish-event';
import { readEvents } from './utils/read-events';
import { startTestApp, type TestApp } from './utils/test-app';
import { TestClock } from './utils/test-clock';
import { useTestApp } from './utils/use-test-app';

const PUBLIC_URL = 'https://herald.example.com/hooks';
const HOUR = 3_600_000;

/** A portal session as `POST /v1/tenants/:id/portal-sessions` answered it. */
interface Session {
  id: string;
  url: string;
  token: string;
  expiresAt: string;
  readOnly: boolean;
  auth: { Authorization: string };
}

describe('portal sessions', () => {
  const clock = new TestClock();
  const { herald, db } = useTestApp({
    env: { HERALD_PUBLIC_URL: `${PUBLIC_URL}/` },
    notifications: { clock },
  });
  const api = () => request(herald.baseUrl);
  const admin = () => ({ Authorization: `Bearer ${herald.adminToken}` });
  let tenant: TestTenant;
  let other: TestTenant;

  beforeAll(async () => {
    tenant = await createTenant(herald, 'portal tenant');
    other = await createTenant(herald, 'other tenant');
  });

  async function createSession(
    of: TestTenant = tenant,
    body: Record<string, unknown> = {},
  ): Promise<Session> {
    const response = await api()
      .post(`/v1/tenants/${of.tenantId}/portal-sessions`)
      .set(admin())
      .send(body)
      .expect(201);
    const session = response.body as Omit<Session, 'auth'>;
    return { ...session, auth: { Authorization: `Bearer ${session.token}` } };
  }

  /** What a token nobody issued gets: an expired or revoked session must get exactly this. */
  async function unknownTokenAnswer(): Promise<unknown> {
    const answer = await api()
      .get('/v1/subscriptions')
      .set({ Authorization: `Bearer hp_${'0'.repeat(43)}` })
      .expect(401);
    return answer.body;
  }

  describe('creating', () => {
    it('answers a link to the portal with the token in the fragment, an hour long by default', async () => {
      const before = clock.now().getTime();
      const session = await createSession();
      const after = clock.now().getTime();

      expect(Object.keys(session).sort()).toEqual(
        ['auth', 'expiresAt', 'id', 'readOnly', 'token', 'url'].sort(),
      );
      expect(session.token).toMatch(/^hp_[A-Za-z0-9_-]{43}$/);
      expect(session.url).toBe(`${PUBLIC_URL}/portal#token=${session.token}`);
      expect(session.readOnly).toBe(false);
      const expiresAt = Date.parse(session.expiresAt);
      expect(expiresAt).toBeGreaterThanOrEqual(before + HOUR);
      expect(expiresAt).toBeLessThanOrEqual(after + HOUR);
    });

    it('takes a ttl in seconds and readOnly', async () => {
      const before = clock.now().getTime();
      const session = await createSession(tenant, { ttl: 60, readOnly: true });
      expect(session.readOnly).toBe(true);
      expect(Date.parse(session.expiresAt) - before).toBeGreaterThanOrEqual(60_000);
      expect(Date.parse(session.expiresAt) - before).toBeLessThan(61_000);
      const longest = await createSession(tenant, { ttl: 86_400 });
      expect(Date.parse(longest.expiresAt) - before).toBeGreaterThanOrEqual(86_400_000);
    });

    it('stores only the hash of the token', async () => {
      const session = await createSession();
      const rows = await herald.dataSource.query<Record<string, unknown>[]>(
        'SELECT * FROM herald.portal_sessions WHERE id = $1',
        [session.id],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].token_hash).toBe(createHash('sha256').update(session.token).digest('hex'));
      expect(JSON.stringify(rows)).not.toContain(session.token.slice(3));
    });

    it.each([
      ['ttl below 60', { ttl: 59 }, 'ttl must not be less than 60'],
      ['ttl above a day', { ttl: 86_401 }, 'ttl must not be greater than 86400'],
      ['ttl not whole', { ttl: 60.5 }, 'ttl must be a whole number of seconds'],
      ['ttl as text', { ttl: '600' }, 'ttl must be a whole number of seconds'],
      ['readOnly as text', { readOnly: 'yes' }, 'readOnly must be a boolean value'],
      ['an unknown field', { scope: 'all' }, 'property scope should not exist'],
    ])('refuses %s with a 400 naming the field', async (_case, body, message) => {
      const response = await api()
        .post(`/v1/tenants/${tenant.tenantId}/portal-sessions`)
        .set(admin())
        .send(body)
        .expect(400);
      expect(response.body).toMatchObject({ code: 'validation_failed' });
      expect(response.body.message).toContain(message);
    });

    it('is 404 for an unknown tenant, and only for the admin', async () => {
      await api()
        .post('/v1/tenants/00000000-0000-4000-8000-000000000000/portal-sessions')
        .set(admin())
        .expect(404)
        .expect((r) => expect(r.body.code).toBe('tenant_not_found'));
      await api()
        .post(`/v1/tenants/${tenant.tenantId}/portal-sessions`)
        .set(tenant.auth)
        .expect(403);
    });
  });

  describe('using', () => {
    it('works on the subscription and delivery routes, for its own tenant only', async () => {
      const session = await createSession();
      const created = await api()
        .post('/v1/subscriptions')
        .set(session.auth)
        .send({ url: 'http://127.0.0.1:9/hook', topics: ['order.*'] })
        .expect(201);
      const id = created.body.id as string;
      const list = await api().get('/v1/subscriptions').set(tenant.auth).expect(200);
      expect(list.body.data.map((s: { id: string }) => s.id)).toContain(id);
      await api().get(`/v1/subscriptions/${id}`).set(session.auth).expect(200);
      await api()
        .patch(`/v1/subscriptions/${id}`)
        .set(session.auth)
        .send({ description: 'from the portal' })
        .expect(200);
      await api().get(`/v1/subscriptions/${id}/secret`).set(session.auth).expect(200);
      await api().get(`/v1/subscriptions/${id}/deliveries`).set(session.auth).expect(200);
      await api().post(`/v1/subscriptions/${id}/test`).set(session.auth).expect(202);

      // Another tenant's subscription is as unknown as one that does not exist.
      const others = await createSubscription(herald, other, 'http://127.0.0.1:9/other');
      await api().get(`/v1/subscriptions/${others.id}`).set(session.auth).expect(404);
      await api().delete(`/v1/subscriptions/${others.id}`).set(session.auth).expect(404);
      const mine = await api().get('/v1/subscriptions').set(session.auth).expect(200);
      expect(mine.body.data.map((s: { id: string }) => s.id)).not.toContain(others.id);

      await api().delete(`/v1/subscriptions/${id}`).set(session.auth).expect(204);
    });

    it("reads its tenant's events by cursor, one by one and as a stream, and no one else's", async () => {
      const session = await createSession();
      const start = await readEvents(herald, tenant, {});
      const stream = openEventStream(
        herald.baseUrl,
        `/v1/events/stream?after=${start.nextCursor}`,
        session.auth,
      );
      expect((await stream.response).status).toBe(200);
      const foreign = await publishAndSequence(herald, other, 'order.foreign');
      const own = await publishAndSequence(herald, tenant, 'order.own');

      const page = await api()
        .get('/v1/events')
        .query({ after: start.nextCursor, wait: 0 })
        .set(session.auth)
        .expect(200);
      expect(page.body.events.map((e: { id: string }) => e.id)).toEqual([own.id]);
      await api().get(`/v1/events/${own.id}`).set(session.auth).expect(200);
      await api().get(`/v1/events/${foreign.id}`).set(session.auth).expect(404);
      await expectEventually(() => expect(stream.events.map((e) => e.data.id)).toEqual([own.id]));
      stream.close();
    });

    it('never publishes and never reaches an admin route', async () => {
      const session = await createSession();
      const forbidden: [string, request.Test][] = [
        ['publish', api().post('/v1/events').send({ topic: 'portal.forbidden', payload: {} })],
        ['create a tenant', api().post('/v1/tenants').send({ name: 'mine' })],
        ['create a key', api().post(`/v1/tenants/${tenant.tenantId}/api-keys`)],
        ['revoke a key', api().delete(`/v1/api-keys/${tenant.apiKeyId}`)],
        ['create a session', api().post(`/v1/tenants/${tenant.tenantId}/portal-sessions`)],
        ['revoke a session', api().delete(`/v1/portal-sessions/${session.id}`)],
        ['revoke all sessions', api().delete(`/v1/tenants/${tenant.tenantId}/portal-sessions`)],
      ];
      for (const [what, call] of forbidden) {
        const response = await call.set(session.auth);
        expect({ what, status: response.status, code: response.body.code }).toEqual({
          what,
          status: 403,
          code: 'forbidden',
        });
      }
      // Nothing was published, and the session and the key still work.
      const { events } = await readEvents(herald, tenant, { after: 0 });
      expect(events.map((e) => e.topic)).not.toContain('portal.forbidden');
      await api().get('/v1/subscriptions').set(session.auth).expect(200);
      await api().get('/v1/subscriptions').set(tenant.auth).expect(200);
    });

    it('read-only: every change is 403, every read works', async () => {
      const session = await createSession(tenant, { readOnly: true });
      const existing = await createSubscription(herald, tenant, 'http://127.0.0.1:9/read-only');
      const id = existing.id;
      const changes: [string, request.Test][] = [
        [
          'create',
          api()
            .post('/v1/subscriptions')
            .send({ url: 'http://127.0.0.1:9/x', topics: ['*'] }),
        ],
        ['update', api().patch(`/v1/subscriptions/${id}`).send({ enabled: false })],
        ['delete', api().delete(`/v1/subscriptions/${id}`)],
        ['rotate', api().post(`/v1/subscriptions/${id}/secret/rotate`)],
        ['test', api().post(`/v1/subscriptions/${id}/test`)],
        ['replay', api().post(`/v1/subscriptions/${id}/replay`).send({ after: '0' })],
        ['retry', api().post('/v1/deliveries/00000000-0000-4000-8000-000000000000/retry')],
        ['publish', api().post('/v1/events').send({ topic: 'portal.read-only', payload: {} })],
      ];
      for (const [what, call] of changes) {
        const response = await call.set(session.auth);
        expect({ what, status: response.status, code: response.body.code }).toEqual({
          what,
          status: 403,
          code: 'forbidden',
        });
      }
      const read = await api().get(`/v1/subscriptions/${id}`).set(session.auth).expect(200);
      expect(read.body).toMatchObject({ enabled: true });
      await api().get('/v1/subscriptions').set(session.auth).expect(200);
      await api().get(`/v1/subscriptions/${id}/deliveries`).set(session.auth).expect(200);
      await api().get('/v1/events').query({ wait: 0 }).set(session.auth).expect(200);
    });

    it('tells a session when it ends and whether it is read-only, and nobody else', async () => {
      const session = await createSession(tenant, { ttl: 600, readOnly: true });
      const current = await api().get('/v1/portal-sessions/current').set(session.auth).expect(200);
      expect(current.body).toEqual({
        id: session.id,
        tenantId: tenant.tenantId,
        expiresAt: session.expiresAt,
        readOnly: true,
      });
      await api().get('/v1/portal-sessions/current').set(tenant.auth).expect(403);
      await api().get('/v1/portal-sessions/current').set(admin()).expect(403);
      await api().get('/v1/portal-sessions/current').expect(401);
    });

    it('once expired, gets the same 401 as an unknown token', async () => {
      const session = await createSession(tenant, { ttl: 60 });
      await api().get('/v1/subscriptions').set(session.auth).expect(200);

      clock.advance(61_000);
      const expired = await api().get('/v1/subscriptions').set(session.auth).expect(401);
      expect(expired.body).toEqual(await unknownTokenAnswer());
      const stream = openEventStream(herald.baseUrl, '/v1/events/stream', session.auth);
      expect(await stream.response).toMatchObject({ status: 401, body: expired.body });
    });
  });

  describe('revoking', () => {
    const heldBy = (app: TestApp, of: TestTenant) =>
      app.app.get(HeldPollLimiter, { strict: false }).heldBy(of.tenantId);

    it('ends a session at once, and what it holds open', async () => {
      const session = await createSession();
      const { nextCursor } = await readEvents(herald, tenant, {});
      const poll = holdPoll(herald.baseUrl, `/v1/events?after=${nextCursor}&wait=20`, session.auth);
      const stream = openEventStream(
        herald.baseUrl,
        `/v1/events/stream?after=${nextCursor}`,
        session.auth,
      );
      expect((await stream.response).status).toBe(200);
      await expectEventually(() => expect(heldBy(herald, tenant)).toBe(2));

      const revoked = Date.now();
      await api().delete(`/v1/portal-sessions/${session.id}`).set(admin()).expect(204);
      const [held, ended] = await Promise.all([poll.response, stream.ended]);
      expect(Date.now() - revoked).toBeLessThan(1000);

      const unknown = await unknownTokenAnswer();
      expect(held).toEqual({ status: 401, body: unknown });
      expect(ended).toMatchObject({ complete: true });
      expect(stream.comments).toContain('revoked');
      const after = await api().get('/v1/subscriptions').set(session.auth).expect(401);
      expect(after.body).toEqual(unknown);
      // Revoking again is fine; the tenant's API key is untouched.
      await api().delete(`/v1/portal-sessions/${session.id}`).set(admin()).expect(204);
      await api().get('/v1/subscriptions').set(tenant.auth).expect(200);
    });

    it('is 404 for an unknown session, and only for the admin', async () => {
      await api()
        .delete('/v1/portal-sessions/00000000-0000-4000-8000-000000000000')
        .set(admin())
        .expect(404)
        .expect((r) => expect(r.body.code).toBe('portal_session_not_found'));
      const session = await createSession();
      await api().delete(`/v1/portal-sessions/${session.id}`).set(tenant.auth).expect(403);
      await api()
        .delete(`/v1/tenants/${tenant.tenantId}/portal-sessions`)
        .set(tenant.auth)
        .expect(403);
      await api()
        .delete('/v1/tenants/00000000-0000-4000-8000-000000000000/portal-sessions')
        .set(admin())
        .expect(404);
      await api().get('/v1/subscriptions').set(session.auth).expect(200);
    });

    it("revokes all of a tenant's sessions, and no other tenant's", async () => {
      const first = await createSession();
      const second = await createSession(tenant, { readOnly: true });
      const others = await createSession(other);

      await api().delete(`/v1/tenants/${tenant.tenantId}/portal-sessions`).set(admin()).expect(204);

      await api().get('/v1/subscriptions').set(first.auth).expect(401);
      await api().get('/v1/subscriptions').set(second.auth).expect(401);
      await api().get('/v1/subscriptions').set(others.auth).expect(200);
      await api().get('/v1/subscriptions').set(tenant.auth).expect(200);
    });

    it('reaches another instance at once, though it had just admitted the session', async () => {
      const second = await startTestApp({
        databaseUrl: db.url,
        notifications: { apiKeyCacheTtl: 60_000, clock },
      });
      try {
        const session = await createSession();
        await request(second.baseUrl).get('/v1/subscriptions').set(session.auth).expect(200);
        const stream = openEventStream(second.baseUrl, '/v1/events/stream', session.auth);
        expect((await stream.response).status).toBe(200);

        await api().delete(`/v1/portal-sessions/${session.id}`).set(admin()).expect(204);

        expect(await stream.ended).toMatchObject({ complete: true });
        await expectEventually(
          () => request(second.baseUrl).get('/v1/subscriptions').set(session.auth).expect(401),
          { timeoutMs: 1000 },
        );
      } finally {
        await second.close();
      }
    });
  });
});
