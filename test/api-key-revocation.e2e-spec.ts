import request from 'supertest';
import { HeldPollLimiter } from '../src/notifications/limits/held-poll-limiter';
import { createTenant, type TestTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { holdPoll } from './utils/hold-poll';
import { openEventStream } from './utils/open-event-stream';
import { pgQuery } from './utils/pg-query';
import { readEvents } from './utils/read-events';
import { createTestDatabase, type TestDatabase } from './utils/test-database';
import { startTestApp, type TestApp } from './utils/test-app';

/** Longer than any test here: only a notification, or a reconnect, can make an instance forget. */
const LONG_CACHE_TTL = 60_000;

describe('revoking an API key', () => {
  let db: TestDatabase;
  let first: TestApp;
  let second: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    first = await startTestApp({ databaseUrl: db.url });
    second = await startTestApp({
      databaseUrl: db.url,
      notifications: { apiKeyCacheTtl: LONG_CACHE_TTL },
    });
  });

  afterAll(async () => {
    await second?.close();
    await first?.close();
    await db?.drop();
  });

  const admin = () => ({ Authorization: `Bearer ${first.adminToken}` });
  const revoke = (tenant: TestTenant) =>
    request(first.baseUrl).delete(`/v1/api-keys/${tenant.apiKeyId}`).set(admin()).expect(204);
  const listSubscriptions = (herald: TestApp, tenant: TestTenant) =>
    request(herald.baseUrl).get('/v1/subscriptions').set(tenant.auth);
  const heldBy = (herald: TestApp, tenant: TestTenant) =>
    herald.app.get(HeldPollLimiter, { strict: false }).heldBy(tenant.tenantId);

  /** What a request with a key nobody issued gets: a revoked key must get exactly this. */
  async function unknownKeyAnswer(): Promise<unknown> {
    const answer = await request(second.baseUrl)
      .get('/v1/subscriptions')
      .set({ Authorization: `Bearer hk_${'0'.repeat(43)}` })
      .expect(401);
    return answer.body;
  }

  it('answers held polls 401 at once and ends streams, on this instance and on another', async () => {
    const tenant = await createTenant(first);
    const { nextCursor } = await readEvents(first, tenant, {});
    const path = `/v1/events?after=${nextCursor}&wait=20`;
    const pollHere = holdPoll(first.baseUrl, path, tenant.auth);
    const pollThere = holdPoll(second.baseUrl, path, tenant.auth);
    const stream = openEventStream(
      second.baseUrl,
      `/v1/events/stream?after=${nextCursor}`,
      tenant.auth,
    );
    expect((await stream.response).status).toBe(200);
    await expectEventually(() => expect(heldBy(first, tenant)).toBe(1));
    await expectEventually(() => expect(heldBy(second, tenant)).toBe(2));

    const revoked = Date.now();
    await revoke(tenant);
    const [here, there, ended] = await Promise.all([
      pollHere.response,
      pollThere.response,
      stream.ended,
    ]);
    const elapsed = Date.now() - revoked;

    const unknown = await unknownKeyAnswer();
    expect(here).toEqual({ status: 401, body: unknown });
    expect(there).toEqual({ status: 401, body: unknown });
    // The stream ended cleanly, saying why, rather than waiting for its next heartbeat (15 s).
    expect(ended).toMatchObject({ complete: true, partial: '' });
    expect(stream.comments).toEqual(['connected', 'revoked']);
    expect(elapsed).toBeLessThan(1000);
    expect(heldBy(first, tenant)).toBe(0);
    expect(heldBy(second, tenant)).toBe(0);
    await listSubscriptions(second, tenant).expect(401);
  });

  it('is refused by another instance within 1 s, though that instance had just admitted the key', async () => {
    const tenant = await createTenant(first);
    await listSubscriptions(second, tenant).expect(200);

    await revoke(tenant);

    await expectEventually(() => listSubscriptions(second, tenant).expect(401), {
      timeoutMs: 1000,
    });
  });

  it('forgets every cached key when its listener reconnects, and ends what revoked keys held', async () => {
    const tenant = await createTenant(first);
    await listSubscriptions(second, tenant).expect(200);
    const stream = openEventStream(second.baseUrl, '/v1/events/stream', tenant.auth);
    expect((await stream.response).status).toBe(200);

    // The listeners lose their connections, and the key is revoked with no notification at all.
    const terminated = await pgQuery(
      db.url,
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE application_name = 'herald-control-listener' AND datname = current_database()`,
    );
    expect(terminated).toHaveLength(2);
    await pgQuery(db.url, 'UPDATE herald.api_keys SET revoked_at = now() WHERE id = $1', [
      tenant.apiKeyId,
    ]);

    // Reconnecting takes about a second; the cache would have trusted the key for a minute.
    await expectEventually(() => listSubscriptions(second, tenant).expect(401), {
      timeoutMs: 5000,
    });
    expect(await stream.ended).toMatchObject({ complete: true });
    expect(stream.comments).toContain('revoked');
  });
});
