import { Logger } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { addEventTypesToDocument, toOpenApi31 } from 'nestjs-herald';
import request, { type Response } from 'supertest';
import { createTenant, type TestTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { holdPoll } from './utils/hold-poll';
import { openEventStream } from './utils/open-event-stream';
import { pgQuery } from './utils/pg-query';
import { sendEvent } from './utils/send-event';
import { startHostApp, type HostApp, type HttpPlatform } from './utils/start-host-app';
import { createTestDatabase, type TestDatabase } from './utils/test-database';
import { validateOpenApi } from './utils/validate-openapi';

/** An answer in Herald's error shape, marked as the module marks all of its answers. */
function expectHeraldError(response: Response, status: number, code: string): void {
  expect({ status: response.status, body: response.body }).toEqual({
    status,
    body: expect.objectContaining({
      statusCode: status,
      error: STATUS_CODES[status],
      message: expect.any(String),
      code,
    }),
  });
  expect(response.headers).toMatchObject({
    'content-type': expect.stringMatching(/^application\/json/),
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
  });
}

describe.each<[HttpPlatform, string]>([
  ['express', ''],
  ['fastify', ''],
  ['express', 'api'],
  ['fastify', 'api'],
])(
  'a host on %s (global prefix "%s") with the module and nothing registered',
  (platform, prefix) => {
    let db: TestDatabase;
    let host: HostApp;
    let tenant: TestTenant;
    let closed = false;

    beforeAll(async () => {
      db = await createTestDatabase();
      host = await startHostApp({ platform, databaseUrl: db.url, globalPrefix: prefix });
      tenant = await createTenant(host);
    });

    afterAll(async () => {
      if (!closed) await host?.close();
      await db?.drop();
    });

    const waiters = async () =>
      (await host.metrics.getSingleMetric('herald_longpoll_waiters')?.get())?.values[0]?.value;

    /** Publishes and waits until the sequencer gave the event its cursor. */
    async function publishSequenced(topic: string): Promise<{ id: string; cursor: string }> {
      const id = await sendEvent(host, tenant, topic, { n: 1 });
      return expectEventually(async () => {
        const [row] = await pgQuery<{ position: string | null }>(
          db.url,
          'SELECT position::text FROM herald.events WHERE id = $1',
          [id],
        );
        expect(row.position).not.toBeNull();
        return { id, cursor: row.position as string };
      });
    }

    it('publishes, replays by idempotency key, and reads an event by id', async () => {
      const send = () =>
        request(host.baseUrl)
          .post('/v1/events')
          .set(tenant.auth)
          .set('Idempotency-Key', 'order-1')
          .send({ topic: 'order.created', payload: { orderId: 1 } });
      const first = await send().expect(201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      const again = await send().expect(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body.id).toBe(first.body.id);

      const read = await request(host.baseUrl)
        .get(`/v1/events/${first.body.id}`)
        .set(tenant.auth)
        .expect(200);
      expect(read.body).toMatchObject({ id: first.body.id, payload: { orderId: 1 } });
      expect(read.headers['cache-control']).toBe('no-store');
    });

    it('holds a long poll until an event is published, then answers with it', async () => {
      const { cursor } = await publishSequenced('poll.before');
      const poll = holdPoll(host.baseUrl, `/v1/events?after=${cursor}&wait=20`, tenant.auth);
      await expectEventually(async () => expect(await waiters()).toBe(1));
      const id = await sendEvent(host, tenant, 'poll.woken');
      const { status, body } = await poll.response;
      expect(status).toBe(200);
      expect(body.events.map((event) => event.id)).toEqual([id]);
      expect(await waiters()).toBe(0);
    });

    it('lets go of a held poll as soon as its client disconnects', async () => {
      const poll = holdPoll(host.baseUrl, '/v1/events?wait=20', tenant.auth);
      await expectEventually(async () => expect(await waiters()).toBe(1));
      poll.abort();
      await expectEventually(async () => expect(await waiters()).toBe(0));
    });

    it('answers a poll with no events, and its own cursor, when the wait runs out', async () => {
      const { cursor } = await publishSequenced('timeout.before');
      const started = Date.now();
      const poll = await request(host.baseUrl)
        .get('/v1/events')
        .query({ after: cursor, wait: 1 })
        .set(tenant.auth)
        .expect(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(poll.body).toEqual({ events: [], nextCursor: cursor });
    });

    it('streams events as Server-Sent Events and lets go when the client leaves', async () => {
      const { cursor } = await publishSequenced('stream.before');
      const stream = openEventStream(
        host.baseUrl,
        `/v1/events/stream?after=${cursor}`,
        tenant.auth,
      );
      try {
        const { status, headers } = await stream.response;
        expect(status).toBe(200);
        expect(headers['content-type']).toBe('text/event-stream; charset=utf-8');
        expect(headers['x-content-type-options']).toBe('nosniff');
        const id = await sendEvent(host, tenant, 'stream.event');
        await expectEventually(() =>
          expect(stream.events.map((event) => event.data.id)).toEqual([id]),
        );
        expect(stream.comments).toContain('connected');
      } finally {
        stream.close();
      }
      await expectEventually(async () => expect(await waiters()).toBe(0));
    });

    it('manages subscriptions, deliveries and keys through the same routes', async () => {
      const created = await request(host.baseUrl)
        .post('/v1/subscriptions')
        .set(tenant.auth)
        .send({ url: 'http://127.0.0.1:9/hook', topics: ['never.published'], uid: 'platform' })
        .expect(201);
      expect(created.body.secret).toMatch(/^whsec_/);
      // Registering again answers 200, a status the route chooses as it goes.
      const again = await request(host.baseUrl)
        .post('/v1/subscriptions')
        .set(tenant.auth)
        .send({ url: 'http://127.0.0.1:9/hook', topics: ['never.published'], uid: 'platform' })
        .expect(200);
      expect(again.body).toEqual(created.body);
      await request(host.baseUrl).get('/v1/subscriptions/platform').set(tenant.auth).expect(200);
      const list = await request(host.baseUrl)
        .get('/v1/subscriptions')
        .set(tenant.auth)
        .expect(200);
      expect(list.body.data.map((s: { id: string }) => s.id)).toEqual([created.body.id]);
      await request(host.baseUrl)
        .patch(`/v1/subscriptions/${created.body.id}`)
        .set(tenant.auth)
        .send({ enabled: false })
        .expect(200);
      expectHeraldError(
        await request(host.baseUrl)
          .post('/v1/deliveries/00000000-0000-4000-8000-000000000000/retry')
          .set(tenant.auth),
        404,
        'delivery_not_found',
      );
      const other = await createTenant(host, 'revoked');
      await request(host.baseUrl)
        .delete(`/v1/api-keys/${other.apiKeyId}`)
        .set({ Authorization: `Bearer ${host.adminToken}` })
        .expect(204);
      expectHeraldError(
        await request(host.baseUrl).get('/v1/subscriptions').set(other.auth),
        401,
        'unauthorized',
      );
    });

    it("answers every refusal in Herald's error shape", async () => {
      const events = () => request(host.baseUrl).get('/v1/events').set(tenant.auth);
      expectHeraldError(
        await request(host.baseUrl).get('/v1/events').set('Authorization', 'Bearer hk_nope'),
        401,
        'unauthorized',
      );
      expectHeraldError(
        await request(host.baseUrl)
          .get('/v1/events/00000000-0000-4000-8000-000000000000')
          .set(tenant.auth),
        404,
        'event_not_found',
      );
      expectHeraldError(await events().query({ after: 'not-a-cursor' }), 400, 'validation_failed');
      expectHeraldError(await events().query({ after: '999999999' }), 400, 'invalid_cursor');
      expectHeraldError(
        await request(host.baseUrl).get('/v1/events/stream?after=999999999').set(tenant.auth),
        400,
        'invalid_cursor',
      );
      const unknownField = await request(host.baseUrl)
        .post('/v1/events')
        .set(tenant.auth)
        .send({ topic: 'a.b', payload: {}, colour: 'red' });
      expectHeraldError(unknownField, 400, 'validation_failed');
      expect(unknownField.body.message).toBe('property colour should not exist');
      expectHeraldError(
        await request(host.baseUrl)
          .post('/v1/events')
          .set(tenant.auth)
          .set('Content-Type', 'application/json')
          .send('{"topic": "a.b", "payload": {'),
        400,
        'malformed_json',
      );
      expectHeraldError(
        await request(host.baseUrl)
          .post('/v1/events')
          .set(tenant.auth)
          .send({ topic: 'a.b', payload: { text: 'x'.repeat(1100 * 1024) } }),
        413,
        'payload_too_large',
      );
    });

    it("refuses what only one platform's parser refuses with a 400 on both", async () => {
      const sendRaw = (text: string) =>
        request(host.baseUrl)
          .post('/v1/events')
          .set(tenant.auth)
          .set('Content-Type', 'application/json')
          .send(text);
      // Fastify's parser refuses prototype keys and empty JSON bodies; Express's parses them and
      // Herald's validation refuses what comes out.
      const code = platform === 'fastify' ? 'malformed_json' : 'validation_failed';
      expectHeraldError(
        await sendRaw('{"topic": "a.b", "payload": {}, "__proto__": {"admin": true}}'),
        400,
        code,
      );
      expectHeraldError(await sendRaw(''), 400, code);
    });

    it('answers a refused read of events as JSON, without the adapter warning of a mismatched body', async () => {
      const warn = jest.spyOn(Logger, 'warn');
      try {
        const refused = await request(host.baseUrl)
          .get('/v1/events')
          .query({ after: '999999999' })
          .set(tenant.auth);
        expectHeraldError(refused, 400, 'invalid_cursor');
        expect(refused.headers['content-type']).toMatch(/^application\/json/);
        expect(warn.mock.calls.map(([message]) => String(message))).not.toContainEqual(
          expect.stringContaining("Content-Type doesn't match"),
        );
      } finally {
        warn.mockRestore();
      }
    });

    it('answers 410 with the oldest cursor for a cursor past the retention', async () => {
      const old = await publishSequenced('retention.old');
      const kept = await publishSequenced('retention.kept');
      // What retention leaves behind after deleting everything up to `old`.
      await pgQuery(db.url, 'UPDATE herald.sequencer_state SET pruned_through = $1', [kept.cursor]);
      const expired = await request(host.baseUrl)
        .get('/v1/events')
        .query({ after: Number(old.cursor) - 1, wait: 0 })
        .set(tenant.auth);
      expectHeraldError(expired, 410, 'cursor_expired');
      expect(expired.body.oldestCursor).toBe(kept.cursor);
    });

    it('is documented by Swagger under the prefix it is mounted at', () => {
      const document = SwaggerModule.createDocument(host.app, new DocumentBuilder().build());
      const at = prefix ? `/${prefix}` : '';
      expect(Object.keys(document.paths)).toEqual(
        expect.arrayContaining([
          `${at}/v1/events`,
          `${at}/v1/events/stream`,
          `${at}/v1/events/{id}`,
          `${at}/v1/tenants`,
          `${at}/v1/subscriptions/{id}/deliveries`,
          `${at}/v1/deliveries/{id}/retry`,
        ]),
      );
      expect(Object.keys(document.paths).every((path) => path.startsWith(`${at}/v1/`))).toBe(true);
    });

    it("adds the event types as webhooks to the host's own OpenAPI 3.1 document", async () => {
      const admin = { Authorization: `Bearer ${host.adminToken}` };
      const name = `host.${platform}.checked`;
      await request(host.baseUrl)
        .put(`/v1/event-types/${name}`)
        .set(admin)
        .send({ schema: { type: 'object', properties: { id: { type: 'string' } } } })
        .expect(201);
      try {
        const config = new DocumentBuilder().setOpenAPIVersion('3.1.0').build();
        const routes = toOpenApi31(SwaggerModule.createDocument(host.app, config));
        const document = addEventTypesToDocument(routes, host.app);
        expect(await validateOpenApi(document)).toEqual({ valid: true, version: '3.1' });
        expect(Object.keys(document.webhooks ?? {})).toEqual(
          expect.arrayContaining([name, 'webhook.test']),
        );
        expect(JSON.stringify(document)).not.toContain('"nullable"');
        expect(routes.webhooks).toBeUndefined();
      } finally {
        await request(host.baseUrl).delete(`/v1/event-types/${name}`).set(admin).expect(204);
      }
    });

    // Last: it closes the host.
    it('answers held polls and ends streams when the host shuts down', async () => {
      const poll = holdPoll(host.baseUrl, '/v1/events?wait=30', tenant.auth);
      const stream = openEventStream(host.baseUrl, '/v1/events/stream', tenant.auth);
      await stream.response;
      await expectEventually(async () => expect(await waiters()).toBe(2));
      closed = true;
      await host.close();
      const { status, body } = await poll.response;
      expect({ status, events: body.events }).toEqual({ status: 200, events: [] });
      expect((await stream.ended).complete).toBe(true);
    });
  },
);
