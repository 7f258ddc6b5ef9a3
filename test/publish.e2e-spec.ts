import { Client } from 'pg';
import request from 'supertest';
import { createTenant, type TestTenant } from './utils/create-tenant';
import { createTestDatabase, type TestDatabase } from './utils/test-database';
import { startTestApp, type TestApp } from './utils/test-app';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UNKNOWN_TENANT = '00000000-0000-4000-8000-000000000000';

/** The default payload limit: 256 KiB of serialized JSON. */
const MAX_PAYLOAD_BYTES = 256 * 1024;

/** A payload `{"data":"xxx…"}` whose JSON is exactly `bytes` bytes long. */
function payloadOfBytes(bytes: number): { data: string } {
  const envelope = Buffer.byteLength(JSON.stringify({ data: '' }));
  return { data: 'x'.repeat(bytes - envelope) };
}

describe('POST /v1/events and GET /v1/events/:id', () => {
  let db: TestDatabase;
  let herald: TestApp;
  let admin: { Authorization: string };
  let pg: Client;

  beforeAll(async () => {
    db = await createTestDatabase();
    herald = await startTestApp({ databaseUrl: db.url });
    admin = { Authorization: `Bearer ${herald.adminToken}` };
    pg = new Client({ connectionString: db.url });
    await pg.connect();
  });

  afterAll(async () => {
    await pg?.end();
    await herald?.close();
    await db?.drop();
  });

  async function countEvents(tenant: TestTenant): Promise<number> {
    const { rows } = await pg.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM herald.events WHERE tenant_id = $1',
      [tenant.tenantId],
    );
    return rows[0].n;
  }

  async function countAllEvents(): Promise<number> {
    const { rows } = await pg.query<{ n: number }>('SELECT count(*)::int AS n FROM herald.events');
    return rows[0].n;
  }

  function publish(as: TestTenant | 'admin', body: unknown, idempotencyKey?: string): request.Test {
    const test = request(herald.baseUrl)
      .post('/v1/events')
      .set(as === 'admin' ? admin : as.auth);
    if (idempotencyKey !== undefined) test.set('Idempotency-Key', idempotencyKey);
    return test.send(body as object);
  }

  /** Sends `json` exactly as written, so key order and white space reach the server unchanged. */
  function publishRaw(tenant: TestTenant, json: string, idempotencyKey: string): request.Test {
    return request(herald.baseUrl)
      .post('/v1/events')
      .set(tenant.auth)
      .set('Idempotency-Key', idempotencyKey)
      .set('Content-Type', 'application/json')
      .send(json);
  }

  function expectError(response: request.Response, status: number, code: string): void {
    expect({ status: response.status, code: response.body.code }).toEqual({ status, code });
    expect(response.body).toMatchObject({ statusCode: status, message: expect.any(String) });
  }

  describe('publishing', () => {
    it('answers 201 with id, topic and createdAt; the owner and the admin can read the event', async () => {
      const tenant = await createTenant(herald);
      const payload = { orderId: 'o_1', lines: [{ sku: 'a', qty: 2 }], note: null };
      const published = await publish(tenant, { topic: 'order.shipped', payload }).expect(201);
      expect(Object.keys(published.body).sort()).toEqual(['createdAt', 'id', 'topic']);
      expect(published.body.id).toMatch(UUID);
      expect(published.body.topic).toBe('order.shipped');
      expect(published.body.createdAt).toMatch(ISO_DATE);
      expect(published.headers['idempotent-replayed']).toBeUndefined();

      const expected = {
        id: published.body.id,
        tenantId: tenant.tenantId,
        topic: 'order.shipped',
        payload,
        createdAt: published.body.createdAt,
      };
      for (const auth of [tenant.auth, admin]) {
        const read = await request(herald.baseUrl)
          .get(`/v1/events/${published.body.id}`)
          .set(auth)
          .expect(200);
        expect(read.body).toMatchObject(expected);
        expect(read.body.cursor === null || typeof read.body.cursor === 'string').toBe(true);
      }
      expect(await countEvents(tenant)).toBe(1);
    });

    it('an unknown event id is 404 event_not_found', async () => {
      const tenant = await createTenant(herald);
      const response = await request(herald.baseUrl)
        .get(`/v1/events/${UNKNOWN_TENANT}`)
        .set(tenant.auth);
      expectError(response, 404, 'event_not_found');
    });
  });

  describe('Idempotency-Key', () => {
    it('the same key and body again gives the same event, marked as replayed, and one row', async () => {
      const tenant = await createTenant(herald);
      const body = { topic: 'order.created', payload: { orderId: 'o_2', total: { eur: 12 } } };
      const first = await publish(tenant, body, 'order-o_2').expect(201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      const second = await publish(tenant, body, 'order-o_2').expect(201);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(second.body).toEqual(first.body);
      expect(await countEvents(tenant)).toBe(1);
    });

    it('the same body with keys in another order and other white space counts as the same', async () => {
      const tenant = await createTenant(herald);
      const first = await publishRaw(
        tenant,
        '{"topic":"order.created","payload":{"a":{"x":[1,2],"y":"z"},"b":2}}',
        'reordered',
      ).expect(201);
      const second = await publishRaw(
        tenant,
        '{\n  "payload" : { "b" : 2 ,\t"a" : { "y" : "z", "x" : [ 1, 2 ] } },\n  "topic" : "order.created"\n}',
        'reordered',
      ).expect(201);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(second.body.id).toBe(first.body.id);
      expect(await countEvents(tenant)).toBe(1);
    });

    const ORIGINAL = { topic: 'order.created', payload: { orderId: 'o_3', tags: [1, 2] } };

    it.each([
      ['another payload', { ...ORIGINAL, payload: { orderId: 'o_4', tags: [1, 2] } }],
      ['another topic', { ...ORIGINAL, topic: 'order.updated' }],
      ['one more payload field', { ...ORIGINAL, payload: { ...ORIGINAL.payload, x: 1 } }],
      ['an array in another order', { ...ORIGINAL, payload: { orderId: 'o_3', tags: [2, 1] } }],
    ])('the same key with %s is 422 idempotency_key_reused and writes nothing', async (_, body) => {
      const tenant = await createTenant(herald);
      const first = await publish(tenant, ORIGINAL, 'order-o_3').expect(201);
      const reused = await publish(tenant, body, 'order-o_3');
      expectError(reused, 422, 'idempotency_key_reused');
      expect(reused.body.message).toContain('Idempotency-Key');
      const { rows } = await pg.query<{ id: string; topic: string; payload: unknown }>(
        'SELECT id, topic, payload FROM herald.events WHERE tenant_id = $1',
        [tenant.tenantId],
      );
      expect(rows).toEqual([{ id: first.body.id, ...ORIGINAL }]);
    });

    it('ten concurrent publishes with one key and one body all succeed with one id and one row', async () => {
      const tenant = await createTenant(herald);
      const body = { topic: 'payment.captured', payload: { paymentId: 'p_1', amount: 100 } };
      const responses = await Promise.all(
        Array.from({ length: 10 }, () => publish(tenant, body, 'capture-p_1')),
      );
      for (const response of responses) expect(response.status).toBe(201);
      const ids = new Set(responses.map((response) => response.body.id as string));
      expect(ids.size).toBe(1);
      const fresh = responses.filter((r) => r.headers['idempotent-replayed'] === undefined);
      expect(fresh).toHaveLength(1);
      expect(await countEvents(tenant)).toBe(1);
    });

    it('keys are per tenant: two tenants using one key get two events', async () => {
      const alice = await createTenant(herald, 'alice');
      const bob = await createTenant(herald, 'bob');
      const body = { topic: 'order.created', payload: { orderId: 'o_5' } };
      const forAlice = await publish(alice, body, 'shared-key').expect(201);
      const forBob = await publish(bob, body, 'shared-key').expect(201);
      expect(forBob.headers['idempotent-replayed']).toBeUndefined();
      expect(forBob.body.id).not.toBe(forAlice.body.id);
      expect([await countEvents(alice), await countEvents(bob)]).toEqual([1, 1]);
      await request(herald.baseUrl).get(`/v1/events/${forBob.body.id}`).set(bob.auth).expect(200);
    });

    it('accepts a key of 255 printable characters', async () => {
      const tenant = await createTenant(herald);
      const key = 'k'.repeat(254) + '~';
      const first = await publish(tenant, { topic: 'a.b', payload: {} }, key).expect(201);
      const again = await publish(tenant, { topic: 'a.b', payload: {} }, key).expect(201);
      expect(again.body.id).toBe(first.body.id);
      expect(await countEvents(tenant)).toBe(1);
    });

    it.each([
      ['256 characters long', 'k'.repeat(256)],
      ['with a space', 'order 42'],
    ])('refuses a key %s with 400 naming Idempotency-Key, writing nothing', async (_, key) => {
      const tenant = await createTenant(herald);
      const response = await publish(tenant, { topic: 'a.b', payload: {} }, key);
      expectError(response, 400, 'validation_failed');
      expect(response.body.message).toContain('Idempotency-Key');
      expect(await countEvents(tenant)).toBe(0);
    });
  });

  describe('topics', () => {
    it.each([
      ['order.shipped', 'order.shipped'],
      ['invoice_v2.paid', 'invoice_v2.paid'],
      ['a-b.c_d.e1', 'a-b.c_d.e1'],
      ['a single word', 'single'],
      ['a topic of 200 characters', 'x'.repeat(200)],
    ])('accepts %s', async (_, topic) => {
      const tenant = await createTenant(herald);
      const response = await publish(tenant, { topic, payload: {} }).expect(201);
      expect(response.body.topic).toBe(topic);
      expect(await countEvents(tenant)).toBe(1);
    });

    it.each<[string, unknown]>([
      ['"Order.Shipped"', 'Order.Shipped'],
      ['"order..shipped"', 'order..shipped'],
      ['".order"', '.order'],
      ['"order."', 'order.'],
      ['"order.*"', 'order.*'],
      ['"*"', '*'],
      ['"a b"', 'a b'],
      ['a topic of 201 characters', 'x'.repeat(201)],
      ['an empty topic', ''],
      ['"ordér.shipped"', 'ordér.shipped'],
      ['a number', 42],
      ['null', null],
      ['a missing topic', undefined],
    ])('refuses %s with 400 validation_failed naming topic, writing nothing', async (_, topic) => {
      const tenant = await createTenant(herald);
      const response = await publish(tenant, { topic, payload: {} });
      expectError(response, 400, 'validation_failed');
      expect(response.body.message).toMatch(/\btopic\b/);
      expect(await countEvents(tenant)).toBe(0);
    });
  });

  describe('payload', () => {
    it('accepts a payload of exactly 256 KiB', async () => {
      const tenant = await createTenant(herald);
      const payload = payloadOfBytes(MAX_PAYLOAD_BYTES);
      expect(Buffer.byteLength(JSON.stringify(payload))).toBe(MAX_PAYLOAD_BYTES);
      await publish(tenant, { topic: 'big.ok', payload }).expect(201);
      expect(await countEvents(tenant)).toBe(1);
    });

    it.each([
      ['one byte over 256 KiB', payloadOfBytes(MAX_PAYLOAD_BYTES + 1)],
      ['a 300 KiB string in an object', { blob: 'x'.repeat(300 * 1024) }],
      // Under 256 Ki characters but over 256 KiB: the limit counts bytes.
      ['140 000 two-byte characters', { text: 'é'.repeat(140_000) }],
    ])('refuses %s with 413 payload_too_large, writing nothing', async (_, payload) => {
      const tenant = await createTenant(herald);
      const response = await publish(tenant, { topic: 'big.no', payload });
      expectError(response, 413, 'payload_too_large');
      expect(await countEvents(tenant)).toBe(0);
    });

    it('refuses a body over 1 MB with 413, writing nothing', async () => {
      const tenant = await createTenant(herald);
      const response = await publish(tenant, {
        topic: 'big.no',
        payload: { blob: 'x'.repeat(1024 * 1024 + 1) },
      });
      expectError(response, 413, 'payload_too_large');
      expect(await countEvents(tenant)).toBe(0);
    });

    it.each([
      ['an array', [1, 2]],
      ['a string', 'hello'],
      ['a number', 42],
      ['a boolean', true],
      ['null', null],
      ['missing', undefined],
    ])('refuses a payload that is %s with 400 naming payload', async (_, payload) => {
      const tenant = await createTenant(herald);
      const response = await publish(tenant, { topic: 'a.b', payload });
      expectError(response, 400, 'validation_failed');
      expect(response.body.message).toMatch(/\bpayload\b/);
      expect(await countEvents(tenant)).toBe(0);
    });
  });

  describe('tenantId', () => {
    it('the admin must name a tenant: without tenantId it is 400 naming tenantId', async () => {
      await createTenant(herald);
      const before = await countAllEvents();
      const response = await publish('admin', { topic: 'admin.event', payload: {} });
      expectError(response, 400, 'validation_failed');
      expect(response.body.message).toContain('tenantId');
      expect(await countAllEvents()).toBe(before);
    });

    it('the admin naming a malformed tenantId gets 400 naming tenantId', async () => {
      const before = await countAllEvents();
      const response = await publish('admin', {
        topic: 'admin.event',
        payload: {},
        tenantId: 'not-a-uuid',
      });
      expectError(response, 400, 'validation_failed');
      expect(response.body.message).toContain('tenantId');
      expect(await countAllEvents()).toBe(before);
    });

    it('the admin naming an unknown tenant gets 404 tenant_not_found, and nothing is written', async () => {
      const before = await countAllEvents();
      const response = await publish('admin', {
        topic: 'admin.event',
        payload: {},
        tenantId: UNKNOWN_TENANT,
      });
      expectError(response, 404, 'tenant_not_found');
      expect(await countAllEvents()).toBe(before);
    });

    it('the admin publishes for a named tenant; the event is that tenant’s', async () => {
      const tenant = await createTenant(herald);
      const published = await publish('admin', {
        topic: 'admin.event',
        payload: { by: 'admin' },
        tenantId: tenant.tenantId,
      }).expect(201);
      const read = await request(herald.baseUrl)
        .get(`/v1/events/${published.body.id}`)
        .set(tenant.auth)
        .expect(200);
      expect(read.body).toMatchObject({ tenantId: tenant.tenantId, payload: { by: 'admin' } });
      expect(await countEvents(tenant)).toBe(1);
    });

    it('a tenant key may name its own tenant', async () => {
      const tenant = await createTenant(herald);
      await publish(tenant, { topic: 'own.event', payload: {}, tenantId: tenant.tenantId }).expect(
        201,
      );
      expect(await countEvents(tenant)).toBe(1);
    });
  });
});
