import { EventSource } from 'eventsource';
import { request as httpRequest } from 'node:http';
import request from 'supertest';
import { createTenant, type TestTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { readEvents } from './utils/read-events';
import { readMetric } from './utils/read-metric';
import { useTestApp } from './utils/use-test-app';

interface Received {
  lastEventId: string;
  data: { id: string; topic: string; cursor: string };
}

describe('GET /v1/events/stream (Server-Sent Events)', () => {
  const { herald } = useTestApp({
    notifications: { streamHeartbeatInterval: 200 },
  });
  const sources: EventSource[] = [];

  afterEach(() => {
    for (const source of sources.splice(0)) source.close();
  });

  function open(tenant: TestTenant, query: string, lastEventId?: string) {
    const received: Received[] = [];
    const source = new EventSource(`${herald.baseUrl}/v1/events/stream?${query}`, {
      fetch: (input, init) =>
        fetch(input, {
          ...init,
          headers: {
            ...init?.headers,
            Authorization: tenant.auth.Authorization,
            ...(lastEventId ? { 'Last-Event-ID': lastEventId } : {}),
          },
        }),
    });
    source.onmessage = (message) =>
      received.push({ lastEventId: message.lastEventId, data: JSON.parse(message.data as string) });
    sources.push(source);
    return { source, received };
  }

  const publish = (tenant: TestTenant, topic: string) =>
    request(herald.baseUrl)
      .post('/v1/events')
      .set(tenant.auth)
      .send({ topic, payload: {} })
      .expect(201);

  it('streams events with their cursor as id, filtered by topic', async () => {
    const tenant = await createTenant(herald);
    const { nextCursor } = await readEvents(herald, tenant, {});
    const { received } = open(tenant, `after=${nextCursor}&topics=order.*`);
    await publish(tenant, 'order.created');
    await publish(tenant, 'invoice.paid');
    await publish(tenant, 'order.shipped');
    await expectEventually(() => expect(received).toHaveLength(2));
    expect(received.map((r) => r.data.topic)).toEqual(['order.created', 'order.shipped']);
    for (const r of received) expect(r.lastEventId).toBe(r.data.cursor);
  });

  it('resumes after Last-Event-ID without repeating or skipping', async () => {
    const tenant = await createTenant(herald);
    const { nextCursor } = await readEvents(herald, tenant, {});
    const first = open(tenant, `after=${nextCursor}`);
    const a = await publish(tenant, 'resume.a');
    await expectEventually(() => expect(first.received).toHaveLength(1));
    first.source.close();
    const b = await publish(tenant, 'resume.b');
    const c = await publish(tenant, 'resume.c');
    // The URL still says the old cursor; Last-Event-ID, as a reconnecting EventSource sends it, wins.
    const second = open(tenant, `after=${nextCursor}`, first.received[0].lastEventId);
    await expectEventually(() => expect(second.received).toHaveLength(2));
    expect(first.received.map((r) => r.data.id)).toEqual([a.body.id]);
    expect(second.received.map((r) => r.data.id)).toEqual([b.body.id, c.body.id]);
  });

  it('sends heartbeats on a quiet stream, and forgets a client that leaves', async () => {
    const tenant = await createTenant(herald);
    const baseline = await readMetric(herald.baseUrl, 'herald_longpoll_waiters');
    const chunks: string[] = [];
    const req = httpRequest(`${herald.baseUrl}/v1/events/stream`, {
      headers: tenant.auth,
      agent: false,
    });
    const gotResponse = new Promise<number>((resolve) =>
      req.on('response', (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => chunks.push(chunk));
        resolve(res.statusCode ?? 0);
      }),
    );
    req.on('error', () => undefined);
    req.end();
    expect(await gotResponse).toBe(200);
    await expectEventually(() => expect(chunks.join('')).toContain(': heartbeat'));
    expect(await readMetric(herald.baseUrl, 'herald_longpoll_waiters')).toBe(baseline + 1);
    req.destroy();
    await expectEventually(async () =>
      expect(await readMetric(herald.baseUrl, 'herald_longpoll_waiters')).toBe(baseline),
    );
  });

  it('answers a bad cursor with a plain 400 before streaming', async () => {
    const tenant = await createTenant(herald);
    const response = await request(herald.baseUrl)
      .get('/v1/events/stream')
      .set(tenant.auth)
      .set('Last-Event-ID', 'not-a-cursor')
      .expect(400);
    expect(response.body).toMatchObject({
      code: 'invalid_cursor',
      message: expect.stringContaining('Last-Event-ID'),
    });
  });
});
