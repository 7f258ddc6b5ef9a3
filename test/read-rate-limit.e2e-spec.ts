import request from 'supertest';
import { HeldPollLimiter } from '../src/notifications/limits/held-poll-limiter';
import { createTenant, type TestTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { holdPoll } from './utils/hold-poll';
import { openEventStream } from './utils/open-event-stream';
import { publishAndSequence } from './utils/publish-event';
import { readEvents } from './utils/read-events';
import { sendEvent } from './utils/send-event';
import { useTestApp } from './utils/use-test-app';

/** A small read budget with a window long enough to stay blocked through a test. */
const READ_LIMIT = 10;

describe('read rate limit', () => {
  const { herald } = useTestApp({ env: { HERALD_RATE_LIMIT_READ: `${READ_LIMIT}/1m` } });

  const read = (tenant: TestTenant, after: string) =>
    request(herald.baseUrl).get('/v1/events').query({ after, wait: 0 }).set(tenant.auth);
  const heldBy = (tenant: TestTenant) =>
    herald.app.get(HeldPollLimiter, { strict: false }).heldBy(tenant.tenantId);

  function expectRateLimited(answer: request.Response): void {
    expect(answer.status).toBe(429);
    expect(answer.body).toMatchObject({ statusCode: 429, code: 'rate_limited' });
    const retryAfter = Number(answer.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(answer.body.retryAfter).toBe(retryAfter);
  }

  it('refuses rapid reads of one key over its budget, while another tenant reads on', async () => {
    const [attacker, victim] = [await createTenant(herald), await createTenant(herald)];
    await publishAndSequence(herald, attacker, 'item.a');
    const victimEvent = await publishAndSequence(herald, victim, 'item.v');

    const answers = await Promise.all(
      Array.from({ length: 2 * READ_LIMIT }, () => read(attacker, '0')),
    );

    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([
      ...Array.from({ length: READ_LIMIT }, () => 200),
      ...Array.from({ length: READ_LIMIT }, () => 429),
    ]);
    for (const refused of answers.filter((answer) => answer.status === 429)) {
      expectRateLimited(refused);
    }
    // Blocked for the window: polls and stream opens alike.
    expectRateLimited(await read(attacker, '0'));
    const stream = openEventStream(herald.baseUrl, '/v1/events/stream?after=0', attacker.auth);
    const streamAnswer = await stream.response;
    expect(streamAnswer.status).toBe(429);
    expect(streamAnswer.body).toMatchObject({ code: 'rate_limited' });
    await stream.ended;

    // The victim's key has a budget of its own.
    for (let n = 0; n < READ_LIMIT; n++) {
      const page = await readEvents(herald, victim, { after: 0 });
      expect(page.events.map((e) => e.id)).toEqual([victimEvent.id]);
    }
  });

  it('does not count polls that held: followers woken by an event cost no budget', async () => {
    const tenant = await createTenant(herald);
    const { nextCursor } = await readEvents(herald, tenant, {});
    const followers = Array.from({ length: 3 * READ_LIMIT }, () =>
      holdPoll(herald.baseUrl, `/v1/events?after=${nextCursor}&wait=20`, tenant.auth),
    );
    await expectEventually(() => expect(heldBy(tenant)).toBe(3 * READ_LIMIT));

    const id = await sendEvent(herald, tenant, 'item.f');
    for (const follower of followers) {
      const { status, body } = await follower.response;
      expect(status).toBe(200);
      expect(body.events.map((e) => e.id)).toEqual([id]);
    }

    // The first read already spent one; the rest of the budget is whole.
    for (let n = 1; n < READ_LIMIT; n++) await read(tenant, nextCursor).expect(200);
    expectRateLimited(await read(tenant, nextCursor));
  });
});
