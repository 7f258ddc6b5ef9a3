import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { createSubscription } from './utils/create-subscription';
import { createTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { listDeliveries } from './utils/list-deliveries';
import { startTestApp, type TestApp } from './utils/test-app';
import { createTestDatabase, type TestDatabase } from './utils/test-database';
import { useReceivers } from './utils/use-receivers';
import { verifyWebhook } from './utils/verify-webhook';

const KEY_A = randomBytes(32).toString('base64');
const KEY_B = randomBytes(32).toString('base64');

/**
 * The way out of an encryption key that is gone for good: rotating the subscription's signing
 * secret. The old secret cannot sign beside the new one, since nothing opens it, but it must not
 * stop the new one from signing, nor the rotation from answering with it; and should the old key
 * come back within the grace period, the old secret signs again beside the new one.
 */
describe('rotating a signing secret that no configured key opens', () => {
  let db: TestDatabase | undefined;
  let app: TestApp | undefined;
  const startReceiver = useReceivers();

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  async function start(keys: string): Promise<TestApp> {
    await app?.close();
    app = await startTestApp({ databaseUrl: db!.url, env: { HERALD_ENCRYPTION_KEY: keys } });
    return app;
  }

  it('answers with the new secret, which alone signs until the old key is back', async () => {
    const underA = await start(KEY_A);
    const tenant = await createTenant(underA);
    const receiver = await startReceiver();
    const { id, secret: lost } = await createSubscription(underA, tenant, receiver.url, ['keys.*']);

    // Key A is gone; the owner rotates.
    const underB = await start(KEY_B);
    const api = () => request(underB.baseUrl);
    const rotated = await api()
      .post(`/v1/subscriptions/${id}/secret/rotate`)
      .set(tenant.auth)
      .expect(200);
    expect(rotated.body).toEqual({
      secret: expect.stringMatching(/^whsec_/),
      previousSecret: null,
      previousSecretExpiresAt: null,
    });
    const fresh = rotated.body.secret as string;
    await api().get(`/v1/subscriptions/${id}/secret`).set(tenant.auth).expect(200, rotated.body);

    const first = await api()
      .post('/v1/events')
      .set(tenant.auth)
      .send({ topic: 'keys.rotated', payload: { n: 1 } })
      .expect(201);
    await expectEventually(() => expect(receiver.received).toHaveLength(1));
    const [signedWithNew] = receiver.received;
    expect(signedWithNew.headers['webhook-id']).toBe(first.body.id);
    expect(verifyWebhook(fresh, signedWithNew).data).toEqual({ n: 1 });
    expect(String(signedWithNew.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(() => verifyWebhook(lost, signedWithNew)).toThrow();
    const [delivery] = await listDeliveries(underB, tenant, id);
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: [{ statusCode: 204 }] });

    // Key A back within the grace period: the old secret signs again beside the new one.
    const restored = await start(`${KEY_B},${KEY_A}`);
    const secrets = await request(restored.baseUrl)
      .get(`/v1/subscriptions/${id}/secret`)
      .set(tenant.auth)
      .expect(200);
    expect(secrets.body).toMatchObject({ secret: fresh, previousSecret: lost });
    await request(restored.baseUrl)
      .post('/v1/events')
      .set(tenant.auth)
      .send({ topic: 'keys.rotated', payload: { n: 2 } })
      .expect(201);
    await expectEventually(() => expect(receiver.received).toHaveLength(2));
    const signedWithBoth = receiver.received[1];
    expect(verifyWebhook(fresh, signedWithBoth).data).toEqual({ n: 2 });
    expect(verifyWebhook(lost, signedWithBoth).data).toEqual({ n: 2 });
  }, 60_000);
});
