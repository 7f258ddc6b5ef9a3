import request from 'supertest';
import { sendEvent } from './utils/send-event';
import { createTenant, type TestTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { openEventStream, type EventStreamReader } from './utils/open-event-stream';
import { publishAndSequence } from './utils/publish-event';
import { useTestApp } from './utils/use-test-app';

describe('GET /v1/events/stream: tenant isolation', () => {
  const { herald } = useTestApp({ notifications: { streamHeartbeatInterval: 200 } });
  const admin = () => ({ Authorization: `Bearer ${herald.adminToken}` });
  const streams: EventStreamReader[] = [];

  afterEach(async () => {
    for (const stream of streams.splice(0)) {
      stream.close();
      await stream.ended;
    }
  });

  function open(path: string, headers: Record<string, string>): EventStreamReader {
    const stream = openEventStream(herald.baseUrl, path, headers);
    streams.push(stream);
    return stream;
  }

  const publish = (tenant: TestTenant, topic: string, payload: Record<string, unknown> = {}) =>
    sendEvent(herald, tenant, topic, payload);

  it('answers a tenant key naming another tenant with 404 tenant_not_found, as the long poll does, and streams nothing', async () => {
    const alice = await createTenant(herald, 'alice');
    const bob = await createTenant(herald, 'bob');
    await publishAndSequence(herald, alice, 'secret.alice', { secret: 'alice' });
    const poll = await request(herald.baseUrl)
      .get('/v1/events')
      .query({ after: 0, wait: 0, tenantId: alice.tenantId })
      .set(bob.auth)
      .expect(404);

    for (const query of [
      `tenantId=${alice.tenantId}`,
      `tenantId=${alice.tenantId}&after=0`,
      `tenantId=${alice.tenantId}&topics=secret.*`,
      // An id no tenant has: the same answer, so ids cannot be probed.
      'tenantId=00000000-0000-4000-8000-000000000000&after=0',
    ]) {
      const stream = open(`/v1/events/stream?${query}`, bob.auth);
      const response = await stream.response;
      expect({ query, status: response.status }).toEqual({ query, status: 404 });
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.body).toMatchObject({ statusCode: 404, code: 'tenant_not_found' });
      expect(response.body).toMatchObject({ code: poll.body.code, error: poll.body.error });
      expect(stream.events).toEqual([]);
    }
    // The same with Last-Event-ID, as a reconnecting EventSource sends it.
    const resumed = open(`/v1/events/stream?tenantId=${alice.tenantId}`, {
      ...bob.auth,
      'Last-Event-ID': '0',
    });
    expect((await resumed.response).status).toBe(404);

    // Naming its own tenant is allowed.
    const own = open(`/v1/events/stream?tenantId=${bob.tenantId}&after=0`, bob.auth);
    expect((await own.response).status).toBe(200);
  });

  it("never yields another tenant's events on a tenant's own stream, or on the admin's stream of that tenant", async () => {
    const alice = await createTenant(herald, 'alice');
    const bob = await createTenant(herald, 'bob');
    const ids = { alice: [] as string[], bob: [] as string[] };
    const publishAs = async (name: 'alice' | 'bob', topic: string) => {
      const tenant = name === 'alice' ? alice : bob;
      ids[name].push(await publish(tenant, topic, { tenant: name }));
    };
    // Both tenants publish the same topics, before the streams open and while they are open, and
    // both stream at once, so this process fetches both tenants' new events for its waiters.
    for (const topic of ['order.created', 'order.paid']) {
      await publishAs('alice', topic);
      await publishAs('bob', topic);
    }
    const streamsOf = {
      alice: [
        open('/v1/events/stream?after=0', alice.auth),
        open('/v1/events/stream?after=0&topics=order.*', alice.auth),
        open(`/v1/events/stream?after=0&tenantId=${alice.tenantId}`, admin()),
      ],
      bob: [open('/v1/events/stream?after=0', bob.auth)],
    };
    for (const stream of [...streamsOf.alice, ...streamsOf.bob])
      expect((await stream.response).status).toBe(200);
    for (const topic of ['order.shipped', 'order.created']) {
      await publishAs('bob', topic);
      await publishAs('alice', topic);
      await publishAs('bob', topic);
    }
    // Each tenant's last event comes after every event of the other's in the log, so a stream
    // that has yielded it has passed each of them: one that leaked them would have yielded them.
    await publishAs('alice', 'order.closed');
    await publishAs('bob', 'order.closed');
    await publishAs('alice', 'order.closed');
    for (const name of ['alice', 'bob'] as const) {
      for (const stream of streamsOf[name]) {
        await expectEventually(() => expect(stream.events.at(-1)?.data.id).toBe(ids[name].at(-1)));
        expect(stream.events.map((event) => event.data.id)).toEqual(ids[name]);
        for (const event of stream.events) expect(event.data.payload).toEqual({ tenant: name });
      }
    }
  });
});
