import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { createSubscription } from './utils/create-subscription';
import { createTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { publishAndSequence } from './utils/publish-event';
import { startTestApp, type TestApp } from './utils/test-app';
import { createTestDatabase, type TestDatabase } from './utils/test-database';
import { useReceivers } from './utils/use-receivers';
import { verifyWebhook } from './utils/verify-webhook';

/** The API's answers about a subscription whose secret no configured key opens. */
describe('a signing secret that no configured key opens', () => {
  const lostKey = randomBytes(32).toString('hex');
  const currentKey = randomBytes(32).toString('hex');
  const startReceiver = useReceivers();
  let db: TestDatabase;
  let herald: TestApp | undefined;

  beforeEach(async () => {
    db = await createTestDatabase();
  });

  afterEach(async () => {
    await herald?.close();
    herald = undefined;
    await db.drop();
  });

  const startWith = async (key: string) => {
    await herald?.close();
    herald = await startTestApp({ databaseUrl: db.url, env: { HERALD_ENCRYPTION_KEY: key } });
    return herald;
  };

  it('is a 409 signing_secret_unavailable when read, and rotating it makes a new one that signs', async () => {
    const first = await startWith(lostKey);
    const tenant = await createTenant(first);
    const receiver = await startReceiver();
    const subscription = await createSubscription(first, tenant, receiver.url, ['order.*']);

    const app = await startWith(currentKey);
    const read = await request(app.baseUrl)
      .get(`/v1/subscriptions/${subscription.id}/secret`)
      .set(tenant.auth)
      .expect(409);
    expect(read.body).toEqual({
      statusCode: 409,
      error: 'Conflict',
      code: 'signing_secret_unavailable',
      message: expect.stringMatching(
        /^signing secret cannot be opened: HERALD_ENCRYPTION_KEY does not hold the key .*rotate the secret/,
      ),
    });

    const rotated = await request(app.baseUrl)
      .post(`/v1/subscriptions/${subscription.id}/secret/rotate`)
      .set(tenant.auth)
      .expect(200);
    expect(rotated.body).toMatchObject({
      secret: expect.stringMatching(/^whsec_/),
      previousSecret: null,
      previousSecretExpiresAt: null,
    });
    const event = await publishAndSequence(app, tenant, 'order.placed');
    const hook = await expectEventually(() => {
      expect(receiver.received).toHaveLength(1);
      return receiver.received[0];
    });
    expect(hook.headers['webhook-id']).toBe(event.id);
    expect(verifyWebhook(rotated.body.secret as string, hook).type).toBe('order.placed');
  });
});
