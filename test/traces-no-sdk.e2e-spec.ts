import { trace } from '@opentelemetry/api';
import request from 'supertest';
import { NotificationPublisher } from '../src/notifications';
import { createSubscription } from './utils/create-subscription';
import { createTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { openEventStream } from './utils/open-event-stream';
import { pgQuery } from './utils/pg-query';
import { readEvents } from './utils/read-events';
import { useReceivers } from './utils/use-receivers';
import { useTestApp } from './utils/use-test-app';

describe('traces, with @opentelemetry/api installed and no SDK registered', () => {
  const { herald, db } = useTestApp();
  const startReceiver = useReceivers();
  const storedContexts = (eventIds: string[]) =>
    pgQuery<{ traceparent: string | null; tracestate: string | null }>(
      db.url,
      'SELECT traceparent, tracestate FROM herald.events WHERE id = ANY($1) ORDER BY id',
      [eventIds],
    );

  it('records nothing, stores no context, and publishes, polls, streams and delivers without one', async () => {
    // No SDK: what the API hands out records nothing.
    const probe = trace.getTracer('probe').startSpan('probe');
    expect(probe.isRecording()).toBe(false);
    probe.end();

    const tenant = await createTenant(herald);
    const receiver = await startReceiver();
    await createSubscription(herald, tenant, receiver.url, ['order.*']);
    const rest = await request(herald.baseUrl)
      .post('/v1/events')
      .set(tenant.auth)
      .send({ topic: 'order.created', payload: { n: 1 } })
      .expect(201);
    const inProcess = await herald.app
      .get(NotificationPublisher)
      .publish({ tenantId: tenant.tenantId, topic: 'order.paid', payload: { n: 2 } });

    expect(await storedContexts([rest.body.id, inProcess.id])).toEqual([
      { traceparent: null, tracestate: null },
      { traceparent: null, tracestate: null },
    ]);
    await expectEventually(() => expect(receiver.received).toHaveLength(2));
    for (const { headers } of receiver.received) {
      expect(headers['webhook-signature']).toEqual(expect.any(String));
      expect(headers).not.toHaveProperty('traceparent');
      expect(headers).not.toHaveProperty('tracestate');
    }
    const page = await expectEventually(async () => {
      const read = await readEvents(herald, tenant, { after: '0' });
      expect(read.events).toHaveLength(2);
      return read;
    });
    for (const event of page.events) expect(event).not.toHaveProperty('traceparent');
    const stream = openEventStream(herald.baseUrl, '/v1/events/stream?after=0', tenant.auth);
    try {
      await expectEventually(() => expect(stream.events).toHaveLength(2));
      for (const event of stream.events) expect(event.data).not.toHaveProperty('traceparent');
    } finally {
      stream.close();
    }
    const stored = await request(herald.baseUrl)
      .get(`/v1/events/${rest.body.id}`)
      .set(tenant.auth)
      .expect(200);
    expect(stored.body).not.toHaveProperty('traceparent');
  });

  it("passes a REST request's trace context on as it came: stored, returned and sent", async () => {
    const tenant = await createTenant(herald);
    const receiver = await startReceiver();
    await createSubscription(herald, tenant, receiver.url, ['order.*']);
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const published = await request(herald.baseUrl)
      .post('/v1/events')
      .set(tenant.auth)
      .set('traceparent', traceparent)
      .set('tracestate', 'shop=checkout,other=1')
      .send({ topic: 'order.created', payload: {} })
      .expect(201);

    expect(await storedContexts([published.body.id])).toEqual([
      { traceparent, tracestate: 'shop=checkout,other=1' },
    ]);
    await expectEventually(() => expect(receiver.received).toHaveLength(1));
    expect(receiver.received[0].headers).toMatchObject({
      traceparent,
      tracestate: 'shop=checkout,other=1',
    });
    const page = await expectEventually(async () => {
      const read = await readEvents(herald, tenant, { after: '0' });
      expect(read.events).toHaveLength(1);
      return read;
    });
    expect(page.events[0]).toMatchObject({ id: published.body.id, traceparent });
  });

  it("sends no trace context of a subscription's row for an event that has none", async () => {
    const tenant = await createTenant(herald);
    const receiver = await startReceiver();
    const subscription = await createSubscription(herald, tenant, receiver.url, ['order.*']);
    await pgQuery(db.url, 'UPDATE herald.subscriptions SET headers = $2 WHERE id = $1', [
      subscription.id,
      { traceparent: '00-11111111111111111111111111111111-2222222222222222-01', 'x-kept': 'yes' },
    ]);
    await request(herald.baseUrl)
      .post('/v1/events')
      .set(tenant.auth)
      .send({ topic: 'order.created', payload: {} })
      .expect(201);

    await expectEventually(() => expect(receiver.received).toHaveLength(1));
    expect(receiver.received[0].headers).not.toHaveProperty('traceparent');
    expect(receiver.received[0].headers['x-kept']).toBe('yes');
  });
});
