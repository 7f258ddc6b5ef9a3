import { IsInt, IsOptional, IsString, IsUUID, Min } from 'class-validator';
import request from 'supertest';
import {
  defineEventType,
  EventPayload,
  EventType,
  NotificationPublisher,
  NotificationsError,
} from '../src/notifications';
import { countRows } from './utils/count-rows';
import { createSubscription } from './utils/create-subscription';
import { createTenant, type TestTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { pgQuery } from './utils/pg-query';
import { startTestApp, type TestApp } from './utils/test-app';
import { useTestApp } from './utils/use-test-app';
import { startReceiver, type WebhookReceiver } from './utils/webhook-receiver';

@EventType('order.created', { description: 'An order was placed' })
class OrderCreated extends EventPayload {
  @IsUUID()
  orderId!: string;

  @IsInt()
  @Min(0)
  amount!: number;

  @IsOptional()
  @IsString()
  note?: string;
}

/** Decorated, but not listed in the module's eventTypes. */
@EventType('order.refunded')
class OrderRefunded extends EventPayload {
  @IsUUID()
  orderId!: string;
}

const InvoicePaid = defineEventType<{ invoiceId: string; amount: number }>({
  name: 'invoice.paid',
  description: 'An invoice was paid',
  schema: {
    type: 'object',
    required: ['invoiceId', 'amount'],
    properties: { invoiceId: { type: 'string' }, amount: { type: 'number', exclusiveMinimum: 0 } },
  },
});

const ORDER_ID = '0192f0a4-6b1e-7c3a-9d2e-5f6a7b8c9d0e';
const RUNTIME_SCHEMA = {
  type: 'object',
  required: ['sku'],
  properties: { sku: { type: 'string', pattern: '^[A-Z]{3}-[0-9]+$' } },
};
/** Long enough that only a NOTIFY can tell another instance of a change within a test. */
const NO_RELOAD = { eventTypeReloadInterval: 600_000 };

function adminOf(herald: Pick<TestApp, 'adminToken'>): { Authorization: string } {
  return { Authorization: `Bearer ${herald.adminToken}` };
}

function publishVia(herald: Pick<TestApp, 'baseUrl'>, tenant: TestTenant, body: object) {
  return request(herald.baseUrl).post('/v1/events').set(tenant.auth).send(body);
}

/** The names `GET /v1/event-types` lists, following every page. */
async function listedNames(
  herald: Pick<TestApp, 'baseUrl'>,
  auth: { Authorization: string },
  limit = 100,
) {
  const names: string[] = [];
  let cursor: string | null = null;
  do {
    const response: request.Response = await request(herald.baseUrl)
      .get('/v1/event-types')
      .query(cursor === null ? { limit } : { limit, cursor })
      .set(auth)
      .expect(200);
    names.push(...(response.body.data as { name: string }[]).map((type) => type.name));
    cursor = response.body.nextCursor as string | null;
  } while (cursor !== null);
  return names;
}

describe('event types', () => {
  const { herald, db } = useTestApp({
    notifications: {
      eventTypes: [OrderCreated, InvoicePaid, { name: 'note.added', description: 'No schema' }],
      ...NO_RELOAD,
    },
  });
  let tenant: TestTenant;
  let admin: { Authorization: string };

  beforeAll(async () => {
    tenant = await createTenant(herald);
    admin = adminOf(herald);
  });

  describe('declared in code', () => {
    it('refuses a REST publish whose payload does not match the class, naming the path, and stores nothing', async () => {
      const before = await countRows(herald.dataSource);

      const response = await publishVia(herald, tenant, {
        topic: 'order.created',
        payload: { orderId: ORDER_ID, amount: -5 },
      }).expect(400);

      expect(response.body).toMatchObject({
        code: 'payload_invalid',
        message: 'payload/amount must be >= 0 (event type order.created)',
      });
      const missing = await publishVia(herald, tenant, {
        topic: 'order.created',
        payload: { amount: 5 },
      }).expect(400);
      expect(missing.body.message).toMatch(/^payload must have required property 'orderId'/);
      const format = await publishVia(herald, tenant, {
        topic: 'order.created',
        payload: { orderId: 'o-1', amount: 5 },
      }).expect(400);
      expect(format.body.message).toMatch(/^payload\/orderId must match format "uuid"/);
      expect(await countRows(herald.dataSource)).toEqual(before);
    });

    it('refuses a payload that does not match a declared schema, and takes one that does', async () => {
      const bad = await publishVia(herald, tenant, {
        topic: 'invoice.paid',
        payload: { invoiceId: 'i-1', amount: 0 },
      }).expect(400);
      expect(bad.body).toMatchObject({
        code: 'payload_invalid',
        message: 'payload/amount must be > 0 (event type invoice.paid)',
      });

      const good = await publishVia(herald, tenant, {
        topic: 'invoice.paid',
        payload: { invoiceId: 'i-1', amount: 12.5 },
      }).expect(201);
      expect(good.body.topic).toBe('invoice.paid');
      await publishVia(herald, tenant, {
        topic: 'order.created',
        payload: { orderId: ORDER_ID, amount: 0, note: 'gift' },
      }).expect(201);
    });

    it('takes any payload on a type without a schema, and on undeclared topics (not strict)', async () => {
      await publishVia(herald, tenant, { topic: 'note.added', payload: { any: ['thing'] } }).expect(
        201,
      );
      await publishVia(herald, tenant, { topic: 'not.declared', payload: { x: 1 } }).expect(201);
      await createSubscription(herald, tenant, 'http://127.0.0.1:9/hook', ['not.declared.*']);
    });

    it('checks an in-process publish the same way, inside the caller transaction too', async () => {
      const publisher = herald.app.get(NotificationPublisher);
      const before = await countRows(herald.dataSource);

      const plain = publisher.publish({
        tenantId: tenant.tenantId,
        topic: 'order.created',
        payload: { orderId: ORDER_ID, amount: -1 },
      });
      await expect(plain).rejects.toThrow(NotificationsError);
      await expect(plain).rejects.toMatchObject({
        code: 'payload_invalid',
        message: 'payload/amount must be >= 0 (event type order.created)',
      });
      // Allowed by the compiler (Min(0) is a run-time rule), refused at run time.
      const typed = herald.dataSource.transaction((manager) =>
        publisher.publish(
          OrderCreated,
          { orderId: ORDER_ID, amount: -1 },
          { tenantId: tenant.tenantId, manager },
        ),
      );
      await expect(typed).rejects.toMatchObject({ code: 'payload_invalid' });
      expect(await countRows(herald.dataSource)).toEqual(before);
    });

    it('publishes a class or a token with the typed publish', async () => {
      const publisher = herald.app.get(NotificationPublisher);

      const order = await herald.dataSource.transaction((manager) =>
        publisher.publish(
          OrderCreated,
          { orderId: ORDER_ID, amount: 3 },
          { tenantId: tenant.tenantId, manager, idempotencyKey: 'typed-order-1' },
        ),
      );
      const invoice = await publisher.publish(
        InvoicePaid,
        { invoiceId: 'i-2', amount: 1 },
        { tenantId: tenant.tenantId },
      );

      const rows = await pgQuery<{ topic: string; payload: unknown; idempotency_key: string }>(
        db.url,
        'SELECT topic, payload, idempotency_key FROM herald.events WHERE id = ANY($1) ORDER BY topic',
        [[order.id, invoice.id]],
      );
      expect(rows).toEqual([
        { topic: 'invoice.paid', payload: { invoiceId: 'i-2', amount: 1 }, idempotency_key: null },
        {
          topic: 'order.created',
          payload: { orderId: ORDER_ID, amount: 3 },
          idempotency_key: 'typed-order-1',
        },
      ]);
    });

    it('refuses a typed publish of a class the module was not given', async () => {
      const publisher = herald.app.get(NotificationPublisher);

      await expect(
        publisher.publish(OrderRefunded, { orderId: ORDER_ID }, { tenantId: tenant.tenantId }),
      ).rejects.toMatchObject({
        code: 'unknown_event_type',
        message: expect.stringMatching(/^class OrderRefunded \(event type order.refunded\) is not/),
      });
    });
  });

  describe('the API', () => {
    it('lists the catalog to every credential, by name, page by page', async () => {
      const all = ['invoice.paid', 'note.added', 'order.created'];
      const portal = await request(herald.baseUrl)
        .post(`/v1/tenants/${tenant.tenantId}/portal-sessions`)
        .set(admin)
        .send({ readOnly: true })
        .expect(201);

      expect(await listedNames(herald, admin)).toEqual(all);
      expect(await listedNames(herald, tenant.auth, 1)).toEqual(all);
      expect(await listedNames(herald, { Authorization: `Bearer ${portal.body.token}` })).toEqual(
        all,
      );
      const page = await request(herald.baseUrl)
        .get('/v1/event-types?limit=1')
        .set(tenant.auth)
        .expect(200);
      expect(page.body).toEqual({
        data: [
          {
            name: 'invoice.paid',
            description: 'An invoice was paid',
            schema: InvoicePaid.schema,
            deprecated: false,
            declaredIn: 'code',
            example: { invoiceId: expect.any(String), amount: expect.any(Number) },
          },
        ],
        nextCursor: expect.any(String),
      });
      const order = await request(herald.baseUrl)
        .get('/v1/event-types?limit=1&cursor=' + String(page.body.nextCursor))
        .set(tenant.auth)
        .expect(200);
      expect(order.body.data[0].name).toBe('note.added');
    });

    it('refuses a list without credentials, or with a cursor it did not make', async () => {
      await request(herald.baseUrl).get('/v1/event-types').expect(401);
      const response = await request(herald.baseUrl)
        .get(`/v1/event-types?cursor=${Buffer.from('Not a name').toString('base64url')}`)
        .set(admin)
        .expect(400);
      expect(response.body.code).toBe('invalid_cursor');
    });

    it('lets an admin declare, replace and remove a type at run time, and publishing follows', async () => {
      const created = await request(herald.baseUrl)
        .put('/v1/event-types/stock.moved')
        .set(admin)
        .send({ description: 'Stock moved', schema: RUNTIME_SCHEMA })
        .expect(201);
      expect(created.body).toEqual({
        name: 'stock.moved',
        description: 'Stock moved',
        schema: RUNTIME_SCHEMA,
        deprecated: false,
        declaredIn: 'api',
        example: { sku: expect.any(String) },
      });
      const refused = await publishVia(herald, tenant, {
        topic: 'stock.moved',
        payload: { sku: 'abc' },
      }).expect(400);
      expect(refused.body.message).toBe(
        'payload/sku must match pattern "^[A-Z]{3}-[0-9]+$" (event type stock.moved)',
      );
      await publishVia(herald, tenant, { topic: 'stock.moved', payload: { sku: 'ABC-1' } }).expect(
        201,
      );

      const replaced = await request(herald.baseUrl)
        .put('/v1/event-types/stock.moved')
        .set(admin)
        .send({ deprecated: true })
        .expect(200);
      expect(replaced.body).toEqual({
        name: 'stock.moved',
        description: null,
        schema: null,
        deprecated: true,
        declaredIn: 'api',
        example: null,
      });
      await publishVia(herald, tenant, { topic: 'stock.moved', payload: { sku: 'abc' } }).expect(
        201,
      );
      expect(await listedNames(herald, tenant.auth)).toContain('stock.moved');

      await request(herald.baseUrl).delete('/v1/event-types/stock.moved').set(admin).expect(204);
      expect(await listedNames(herald, tenant.auth)).not.toContain('stock.moved');
      const gone = await request(herald.baseUrl)
        .delete('/v1/event-types/stock.moved')
        .set(admin)
        .expect(404);
      expect(gone.body.code).toBe('event_type_not_found');
    });

    it('refuses to change a type declared in code (409)', async () => {
      for (const call of [
        request(herald.baseUrl).put('/v1/event-types/order.created').set(admin).send({}),
        request(herald.baseUrl).delete('/v1/event-types/order.created').set(admin),
      ]) {
        const response = await call.expect(409);
        expect(response.body.code).toBe('event_type_declared_in_code');
        expect(response.body.message).toMatch(/order.created is declared in the host's code/);
      }
      expect((await listedNames(herald, admin)).filter((name) => name === 'order.created')).toEqual(
        ['order.created'],
      );
    });

    it.each([
      ['a schema ajv cannot compile', 'x.y', { schema: { type: 'nope' } }, /^schema is not a JSON/],
      [
        'a schema that refers to nowhere',
        'x.y',
        { schema: { $ref: 'https://example.com/elsewhere.json' } },
        /can't resolve reference https:\/\/example.com\/elsewhere.json/,
      ],
      ['a schema that is not an object', 'x.y', { schema: [] }, /^schema must be a JSON Schema/],
      ['an upper-case name', 'Order.Created', {}, /^name must be an event type name/],
      ['a wildcard', 'order.*', {}, /^name must be an event type name/],
      ['a name too long', `a${'.b'.repeat(100)}`, {}, /^name must be an event type name/],
      ['an unknown field', 'x.y', { version: 2 }, /property version should not exist/],
      ['a description that is not text', 'x.y', { description: 5 }, /description must be a string/],
    ])('refuses %s with 400, changing nothing', async (_, name, body, message) => {
      const response = await request(herald.baseUrl)
        .put(`/v1/event-types/${encodeURIComponent(name)}`)
        .set(admin)
        .send(body)
        .expect(400);

      expect(response.body.code).toBe('validation_failed');
      expect(response.body.message).toMatch(message);
      const [{ count }] = await pgQuery<{ count: number }>(
        db.url,
        'SELECT count(*)::int AS count FROM herald.event_types',
      );
      expect(count).toBe(0);
    });

    it('refuses a bad name on DELETE with 400', async () => {
      const response = await request(herald.baseUrl)
        .delete('/v1/event-types/order.*')
        .set(admin)
        .expect(400);
      expect(response.body.code).toBe('validation_failed');
    });

    it('lets neither a tenant key nor a portal session declare or remove a type (403)', async () => {
      const portal = await request(herald.baseUrl)
        .post(`/v1/tenants/${tenant.tenantId}/portal-sessions`)
        .set(admin)
        .send({})
        .expect(201);
      const portalAuth = { Authorization: `Bearer ${portal.body.token}` };
      await request(herald.baseUrl)
        .put('/v1/event-types/held.type')
        .set(admin)
        .send({})
        .expect(201);

      for (const auth of [tenant.auth, portalAuth]) {
        const put = await request(herald.baseUrl)
          .put('/v1/event-types/tenant.type')
          .set(auth)
          .send({ schema: { type: 'object' } })
          .expect(403);
        expect(put.body.code).toBe('forbidden');
        await request(herald.baseUrl).delete('/v1/event-types/held.type').set(auth).expect(403);
      }

      expect(await listedNames(herald, admin)).toEqual([
        'held.type',
        'invoice.paid',
        'note.added',
        'order.created',
      ]);
      await request(herald.baseUrl).delete('/v1/event-types/held.type').set(admin).expect(204);
    });
  });

  describe('on a second instance', () => {
    let second: TestApp;

    beforeAll(async () => {
      second = await startTestApp({ databaseUrl: db.url, notifications: NO_RELOAD });
    });
    afterAll(async () => {
      await second.close();
    });

    it('apply a type declared or removed on the first at once, without a restart', async () => {
      // The second has no types in code: the runtime type is all it knows.
      expect(await listedNames(second, admin)).toEqual([]);

      await request(herald.baseUrl)
        .put('/v1/event-types/stock.moved')
        .set(admin)
        .send({ schema: RUNTIME_SCHEMA })
        .expect(201);

      await expectEventually(async () => {
        const response = await publishVia(second, tenant, {
          topic: 'stock.moved',
          payload: { sku: 'abc' },
        });
        expect(response.body.code).toBe('payload_invalid');
      });
      expect(await listedNames(second, tenant.auth)).toEqual(['stock.moved']);

      await request(herald.baseUrl).delete('/v1/event-types/stock.moved').set(admin).expect(204);

      await expectEventually(async () => {
        expect(await listedNames(second, tenant.auth)).toEqual([]);
      });
      await publishVia(second, tenant, { topic: 'stock.moved', payload: { sku: 'abc' } }).expect(
        201,
      );
    });

    it('read what changed while their control connection was down once it reconnects', async () => {
      const terminated = await pgQuery(
        db.url,
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE application_name = 'herald-control-listener' AND datname = current_database()`,
      );
      // One per instance: API keys and event types share it.
      expect(terminated).toHaveLength(2);
      // Written without a NOTIFY, and the periodic reload is 10 minutes away.
      await pgQuery(db.url, `INSERT INTO herald.event_types (name) VALUES ('stock.counted')`);

      try {
        await expectEventually(
          async () => expect(await listedNames(second, tenant.auth)).toEqual(['stock.counted']),
          { timeoutMs: 5000 },
        );
      } finally {
        await pgQuery(db.url, `DELETE FROM herald.event_types WHERE name = 'stock.counted'`);
      }
    });
  });
});

describe('strict event types (HERALD_STRICT_EVENT_TYPES=true)', () => {
  const { herald, db } = useTestApp({
    env: { HERALD_STRICT_EVENT_TYPES: 'true' },
    notifications: {
      eventTypes: [OrderCreated, { name: 'order.shipped' }],
      eventTypeReloadInterval: 200,
    },
  });
  let tenant: TestTenant;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    tenant = await createTenant(herald);
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver.close();
  });

  it('refuses to publish an undeclared topic, storing nothing, and takes declared ones', async () => {
    const before = await countRows(herald.dataSource);

    const response = await publishVia(herald, tenant, {
      topic: 'invoice.paid',
      payload: {},
    }).expect(400);

    expect(response.body).toMatchObject({
      code: 'unknown_event_type',
      message: expect.stringMatching(/^topic invoice.paid is not a declared event type/),
    });
    await expect(
      herald.app
        .get(NotificationPublisher)
        .publish({ tenantId: tenant.tenantId, topic: 'invoice.paid', payload: {} }),
    ).rejects.toMatchObject({ code: 'unknown_event_type' });
    expect(await countRows(herald.dataSource)).toEqual(before);
    await publishVia(herald, tenant, { topic: 'order.shipped', payload: {} }).expect(201);
  });

  it('takes a topic once an admin declares it', async () => {
    const admin = adminOf(herald);
    await request(herald.baseUrl)
      .put('/v1/event-types/invoice.paid')
      .set(admin)
      .send({})
      .expect(201);

    await publishVia(herald, tenant, { topic: 'invoice.paid', payload: {} }).expect(201);
    await createSubscription(herald, tenant, receiver.url, ['invoice.*']);

    await request(herald.baseUrl).delete('/v1/event-types/invoice.paid').set(admin).expect(204);
    await publishVia(herald, tenant, { topic: 'invoice.paid', payload: {} }).expect(400);
  });

  it('reads the types again on its own, so a change whose NOTIFY was lost still arrives', async () => {
    await publishVia(herald, tenant, { topic: 'audit.entry', payload: {} }).expect(400);

    // Written without the NOTIFY the API sends, as if that notification had been lost.
    await pgQuery(db.url, `INSERT INTO herald.event_types (name) VALUES ('audit.entry')`);

    await expectEventually(async () => {
      await publishVia(herald, tenant, { topic: 'audit.entry', payload: {} }).expect(201);
    });
    await pgQuery(db.url, `DELETE FROM herald.event_types WHERE name = 'audit.entry'`);
    await expectEventually(async () => {
      await publishVia(herald, tenant, { topic: 'audit.entry', payload: {} }).expect(400);
    });
  });

  it('refuses subscription patterns that match no declared type, on create and update', async () => {
    const before = (await countRows(herald.dataSource)).subscriptions;
    for (const topics of [['invoice.*'], ['order.*', 'refund.issued'], ['order.created.v2']]) {
      const response = await request(herald.baseUrl)
        .post('/v1/subscriptions')
        .set(tenant.auth)
        .send({ url: receiver.url, topics })
        .expect(400);
      expect(response.body.code).toBe('unknown_event_type');
      expect(response.body.message).toMatch(/^topic pattern \S+ matches no declared event type/);
      expect(response.body.message).toContain(topics.at(-1));
    }
    expect((await countRows(herald.dataSource)).subscriptions).toBe(before);

    const subscription = await createSubscription(herald, tenant, receiver.url, ['order.*']);
    await createSubscription(herald, tenant, receiver.url, ['*']);
    await createSubscription(herald, tenant, receiver.url, ['order.created', 'order.shipped']);
    const update = await request(herald.baseUrl)
      .patch(`/v1/subscriptions/${subscription.id}`)
      .set(tenant.auth)
      .send({ topics: ['order.*', 'invoice.paid'] })
      .expect(400);
    expect(update.body).toMatchObject({
      code: 'unknown_event_type',
      message: expect.stringContaining('invoice.paid'),
    });
    const unchanged = await request(herald.baseUrl)
      .get(`/v1/subscriptions/${subscription.id}`)
      .set(tenant.auth)
      .expect(200);
    expect(unchanged.body.topics).toEqual(['order.*']);
  });

  it("still sends Herald's own webhook.test event", async () => {
    const subscription = await createSubscription(herald, tenant, receiver.url, ['order.shipped']);
    const seen = receiver.received.length;

    await request(herald.baseUrl)
      .post(`/v1/subscriptions/${subscription.id}/test`)
      .set(tenant.auth)
      .expect(202);

    const webhook = await expectEventually(() => {
      const found = receiver.received
        .slice(seen)
        .find((each) => (JSON.parse(each.body) as { type: string }).type === 'webhook.test');
      expect(found).toBeDefined();
      return found;
    });
    expect(webhook?.headers['herald-subscription-id']).toBe(subscription.id);
  });
});
