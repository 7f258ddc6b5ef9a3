import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import request from 'supertest';
import { NotificationPublisher, type PublishedEvent } from '../src/notifications';
import { createSubscription } from './utils/create-subscription';
import { createTenant, type TestTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { openEventStream } from './utils/open-event-stream';
import { pgQuery } from './utils/pg-query';
import { readEvents } from './utils/read-events';
import { useInMemoryTracing } from './utils/use-in-memory-tracing';
import { useReceivers } from './utils/use-receivers';
import { useTestApp } from './utils/use-test-app';
import type { WebhookReceiver } from './utils/webhook-receiver';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

/** The trace and span ids of a `traceparent`, which must be a sampled version-00 one. */
function idsOf(traceparent: unknown): { traceId: string; spanId: string } {
  expect(traceparent).toMatch(TRACEPARENT);
  const [, traceId, spanId] = TRACEPARENT.exec(String(traceparent)) ?? [];
  return { traceId, spanId };
}

/** The one span of `spans`, once there is exactly one. */
function only(spans: ReadableSpan[]): ReadableSpan {
  expect(spans).toHaveLength(1);
  return spans[0];
}

describe('traces, with an OpenTelemetry SDK registered', () => {
  // Registered before the app starts, as a host registers its SDK before Nest boots.
  const spans = useInMemoryTracing();
  const { herald, db } = useTestApp();
  const startReceiver = useReceivers();
  const tracer = trace.getTracer('host-app');

  /** Publishes in process inside a host span `checkout`; returns the event and that span's ids. */
  async function publishInSpan(
    tenant: TestTenant,
    topic: string,
  ): Promise<{ event: PublishedEvent; traceId: string; spanId: string }> {
    const publisher = herald.app.get(NotificationPublisher);
    return tracer.startActiveSpan('checkout', async (span) => {
      try {
        const event = await publisher.publish({ tenantId: tenant.tenantId, topic, payload: {} });
        return { event, ...span.spanContext() };
      } finally {
        span.end();
      }
    });
  }

  async function subscribedReceiver(tenant: TestTenant, status: number): Promise<WebhookReceiver> {
    const receiver = await startReceiver();
    receiver.answer = () => ({ status });
    await createSubscription(herald, tenant, receiver.url, ['order.*']);
    return receiver;
  }

  it('stores the publish span, a child of the caller, and sends each attempt as its child with a 200', async () => {
    const tenant = await createTenant(herald);
    const receiver = await subscribedReceiver(tenant, 200);
    const { event, traceId, spanId } = await publishInSpan(tenant, 'order.created');

    const publish = only(spans.named('herald publish', traceId));
    expect(publish.kind).toBe(SpanKind.PRODUCER);
    expect(publish.parentSpanContext?.spanId).toBe(spanId);
    expect(publish.attributes).toMatchObject({
      'messaging.system': 'herald',
      'messaging.destination.name': 'order.created',
      'messaging.message.id': event.id,
      'herald.tenant.id': tenant.tenantId,
    });
    const [stored] = await pgQuery<{ traceparent: string; tracestate: string | null }>(
      db.url,
      'SELECT traceparent, tracestate FROM herald.events WHERE id = $1',
      [event.id],
    );
    expect(stored).toEqual({
      traceparent: `00-${traceId}-${publish.spanContext().spanId}-01`,
      tracestate: null,
    });

    await expectEventually(() => expect(receiver.received).toHaveLength(1));
    const sent = idsOf(receiver.received[0].headers.traceparent);
    expect(sent.traceId).toBe(traceId);
    expect(receiver.received[0].headers).not.toHaveProperty('tracestate');
    const deliver = await expectEventually(() => only(spans.named('herald deliver', traceId)));
    // The receiver continues the attempt's own span, a child of the publish span.
    expect(sent.spanId).toBe(deliver.spanContext().spanId);
    expect(deliver.parentSpanContext?.spanId).toBe(publish.spanContext().spanId);
    expect(deliver.kind).toBe(SpanKind.CLIENT);
    expect(deliver.status.code).toBe(SpanStatusCode.UNSET);
    expect(deliver.attributes).toMatchObject({
      'messaging.destination.name': 'order.created',
      'messaging.message.id': event.id,
      'herald.tenant.id': tenant.tenantId,
      'herald.delivery.attempt': 1,
      'http.response.status_code': 200,
      'herald.delivery.outcome': 'succeeded',
    });
    expect(deliver.attributes['herald.subscription.id']).toEqual(expect.any(String));
  });

  it('records a failing attempt as an error span with its status code and outcome', async () => {
    const tenant = await createTenant(herald);
    const receiver = await subscribedReceiver(tenant, 500);
    const { traceId } = await publishInSpan(tenant, 'order.failed');

    await expectEventually(() => expect(receiver.received).toHaveLength(1));
    expect(idsOf(receiver.received[0].headers.traceparent).traceId).toBe(traceId);
    const deliver = await expectEventually(() => only(spans.named('herald deliver', traceId)));
    expect(deliver.status.code).toBe(SpanStatusCode.ERROR);
    expect(deliver.attributes).toMatchObject({
      'http.response.status_code': 500,
      'herald.delivery.outcome': 'retrying',
      'herald.delivery.attempt': 1,
      'error.type': '500',
    });
  });

  it('returns the traceparent by long poll and stream, with spans linked to the publish', async () => {
    const tenant = await createTenant(herald);
    const { event, traceId } = await publishInSpan(tenant, 'order.read');
    const publish = only(spans.named('herald publish', traceId));
    const traceparent = `00-${traceId}-${publish.spanContext().spanId}-01`;
    const linksToPublish = (span: ReadableSpan) =>
      span.links.some(
        (link) =>
          link.context.traceId === traceId && link.context.spanId === publish.spanContext().spanId,
      );

    const page = await expectEventually(async () => {
      const read = await readEvents(herald, tenant, { after: '0' });
      expect(read.events).toHaveLength(1);
      return read;
    });
    expect(page.events[0]).toMatchObject({ id: event.id, traceparent });
    const poll = only(
      spans.all().filter((span) => span.name === 'herald poll' && linksToPublish(span)),
    );
    expect(poll.attributes).toMatchObject({
      'messaging.batch.message_count': 1,
      'herald.tenant.id': tenant.tenantId,
      'herald.poll.held': false,
    });

    const stream = openEventStream(herald.baseUrl, '/v1/events/stream?after=0', tenant.auth);
    try {
      await expectEventually(() => expect(stream.events).toHaveLength(1));
      expect(stream.events[0].data).toMatchObject({ id: event.id, traceparent });
      const write = await expectEventually(() =>
        only(spans.all().filter((span) => span.name === 'herald stream' && linksToPublish(span))),
      );
      expect(write.attributes).toMatchObject({
        'messaging.message.id': event.id,
        'herald.event.cursor': page.events[0].cursor,
      });
    } finally {
      stream.close();
    }

    const stored = await request(herald.baseUrl)
      .get(`/v1/events/${event.id}`)
      .set(tenant.auth)
      .expect(200);
    expect(stored.body.traceparent).toBe(traceparent);

    // The batch that stamped the event's position.
    const position = BigInt(page.events[0].cursor);
    const batches = spans
      .named('herald sequence')
      .filter(
        (span) =>
          BigInt(String(span.attributes['herald.sequencer.first_position'])) <= position &&
          position <= BigInt(String(span.attributes['herald.sequencer.last_position'])),
      );
    expect(only(batches).attributes['messaging.batch.message_count']).toBeGreaterThanOrEqual(1);
  });

  it('publishes a REST request with a traceparent header in its trace, and its webhook joins it', async () => {
    const tenant = await createTenant(herald);
    const receiver = await subscribedReceiver(tenant, 204);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpanId = '00f067aa0ba902b7';

    const published = await request(herald.baseUrl)
      .post('/v1/events')
      .set(tenant.auth)
      .set('traceparent', `00-${traceId}-${callerSpanId}-01`)
      .set('tracestate', 'shop=checkout')
      .send({ topic: 'order.rest', payload: {} })
      .expect(201);

    const publish = only(spans.named('herald publish', traceId));
    expect(publish.parentSpanContext).toMatchObject({ spanId: callerSpanId, isRemote: true });
    expect(publish.attributes['messaging.message.id']).toBe(published.body.id);
    await expectEventually(() => expect(receiver.received).toHaveLength(1));
    expect(idsOf(receiver.received[0].headers.traceparent).traceId).toBe(traceId);
    expect(receiver.received[0].headers.tracestate).toBe('shop=checkout');
  });

  it('ignores an invalid traceparent header: the publish starts a trace of its own', async () => {
    const tenant = await createTenant(herald);
    const before = spans.named('herald publish').length;

    const published = await request(herald.baseUrl)
      .post('/v1/events')
      .set(tenant.auth)
      .set('traceparent', '00-00000000000000000000000000000000-00f067aa0ba902b7-01')
      .send({ topic: 'order.rest', payload: {} })
      .expect(201);

    const publish = only(
      spans
        .named('herald publish')
        .slice(before)
        .filter((span) => span.attributes['messaging.message.id'] === published.body.id),
    );
    expect(publish.parentSpanContext).toBeUndefined();
    const stored = await request(herald.baseUrl)
      .get(`/v1/events/${published.body.id}`)
      .set(tenant.auth)
      .expect(200);
    expect(idsOf(stored.body.traceparent).traceId).toBe(publish.spanContext().traceId);
  });

  it("sends Herald's trace context only, whatever trace headers a subscription's row holds", async () => {
    const tenant = await createTenant(herald);
    const receiver = await startReceiver();
    const subscription = await createSubscription(herald, tenant, receiver.url, ['order.*']);
    // The API refuses these names; a row written by hand may still hold them, in any case.
    await pgQuery(db.url, 'UPDATE herald.subscriptions SET headers = $2 WHERE id = $1', [
      subscription.id,
      {
        Traceparent: '00-11111111111111111111111111111111-2222222222222222-01',
        TRACESTATE: 'forged=1',
        'x-kept': 'yes',
      },
    ]);
    const { traceId } = await publishInSpan(tenant, 'order.forged');

    await expectEventually(() => expect(receiver.received).toHaveLength(1));
    const { headers } = receiver.received[0];
    expect(idsOf(headers.traceparent).traceId).toBe(traceId);
    expect(headers).not.toHaveProperty('tracestate');
    expect(headers['x-kept']).toBe('yes');
  });
});
