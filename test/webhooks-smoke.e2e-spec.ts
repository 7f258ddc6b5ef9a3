import request from 'supertest';
import { Webhook } from 'standardwebhooks';
import { createTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { createTestDatabase, type TestDatabase } from './utils/test-database';
import { startTestApp, type TestApp } from './utils/test-app';
import { startReceiver, type WebhookReceiver } from './utils/webhook-receiver';

describe('webhook delivery (smoke)', () => {
  let db: TestDatabase;
  let herald: TestApp;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    db = await createTestDatabase();
    herald = await startTestApp({ databaseUrl: db.url });
    receiver = await startReceiver();
  });

  afterAll(async () => {
    await receiver?.close();
    await herald?.close();
    await db?.drop();
  });

  it('POSTs a signed event to a subscribed URL', async () => {
    const tenant = await createTenant(herald);
    const created = await request(herald.baseUrl)
      .post('/v1/subscriptions')
      .set(tenant.auth)
      .send({ url: receiver.url, topics: ['order.*'] })
      .expect(201);
    expect(created.body.secret).toMatch(/^whsec_/);
    const event = await request(herald.baseUrl)
      .post('/v1/events')
      .set(tenant.auth)
      .send({ topic: 'order.created', payload: { n: 1 } })
      .expect(201);
    await expectEventually(() => expect(receiver.received).toHaveLength(1));
    const [hook] = receiver.received;
    const verified = new Webhook(created.body.secret as string).verify(
      hook.body,
      hook.headers as Record<string, string>,
    );
    expect(verified).toEqual({
      type: 'order.created',
      timestamp: event.body.createdAt,
      data: { n: 1 },
    });
    expect(hook.headers['webhook-id']).toBe(event.body.id);
    await expectEventually(async () => {
      const deliveries = await request(herald.baseUrl)
        .get(`/v1/subscriptions/${created.body.id}/deliveries`)
        .set(tenant.auth)
        .expect(200);
      expect(deliveries.body.data).toMatchObject([
        { status: 'succeeded', attempts: [{ attempt: 1, statusCode: 204 }] },
      ]);
    });
  });
});
