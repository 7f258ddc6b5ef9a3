import { createCipheriv, randomBytes } from 'node:crypto';
import request from 'supertest';
import {
  SecretBox,
  parseEncryptionKey,
} from '../src/notifications/webhooks/secrets/secret-box';
import { SecretResealer } from '../src/notifications/webhooks/subscriptions/secret-resealer';
import { createSubscription } from './utils/create-subscription';
import { createTenant, type TestTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { holdTransaction, type HeldTransaction } from './utils/hold-transaction';
import { listDeliveries } from './utils/list-deliveries';
import { pgQuery } from './utils/pg-query';
import { scrapeMetrics } from './utils/scrape-metrics';
import { TEST_ENCRYPTION_KEY } from './utils/test-app';
import { useReceivers } from './utils/use-receivers';
import { useTestApp } from './utils/use-test-app';
import { verifyWebhook } from './utils/verify-webhook';

const KEY = parseEncryptionKey(TEST_ENCRYPTION_KEY);

/** What an attempt records when no configured key opens the stored secret for its row. */
const CAUSE =
  'signing secret cannot be opened: HERALD_ENCRYPTION_KEY does not hold the key it was sealed ' +
  'with (or the stored value was altered, or copied from another row or column)';

/**
 * A value in the first stored format (version 1: only the version byte authenticated), made here
 * byte by byte as the service made them before secrets were bound to their row.
 */
function sealUnbound(plaintext: string): Buffer {
  const version = Buffer.from([1]);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', KEY, iv);
  cipher.setAAD(version);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([version, iv, cipher.getAuthTag(), ciphertext]);
}

/**
 * A sealed signing secret opens only in the row and column it was sealed for: someone who can
 * write the table but not read the key cannot make a subscription sign with another's secret,
 * nor bring a retired secret back. Secrets stored before that binding still open and are sealed
 * again in the bound format.
 */
describe('signing secrets bound to their subscription and column', () => {
  // No pass but the one at start and the ones a test asks for.
  const { herald, db } = useTestApp({ notifications: { resealInterval: 60 * 60 * 1000 } });
  const startReceiver = useReceivers();
  const api = () => request(herald.baseUrl);

  const readSecret = async (id: string) => {
    const [row] = await pgQuery<{ secret: Buffer }>(
      db.url,
      'SELECT secret FROM herald.subscriptions WHERE id = $1',
      [id],
    );
    return row.secret;
  };

  const publish = async (tenant: TestTenant, n: number) => {
    const response = await api()
      .post('/v1/events')
      .set(tenant.auth)
      .send({ topic: 'keys.bound', payload: { n } })
      .expect(201);
    return response.body.id as string;
  };

  it("does not open a secret copied into another subscription's row, nor a previous secret copied into the current column", async () => {
    const tenant = await createTenant(herald);
    const [receiverA, receiverB] = [await startReceiver(), await startReceiver()];
    const a = await createSubscription(herald, tenant, receiverA.url, ['keys.*']);
    const b = await createSubscription(herald, tenant, receiverB.url, ['keys.*']);

    await pgQuery(
      db.url,
      `UPDATE herald.subscriptions
       SET secret = (SELECT secret FROM herald.subscriptions WHERE id = $1) WHERE id = $2`,
      [a.id, b.id],
    );
    const eventId = await publish(tenant, 1);

    // A still signs with its own secret; B fails unsent, as for a secret no key opens.
    await expectEventually(() => expect(receiverA.received).toHaveLength(1));
    expect(verifyWebhook(a.secret, receiverA.received[0]).data).toEqual({ n: 1 });
    const [delivery] = await expectEventually(async () => {
      const deliveries = await listDeliveries(herald, tenant, b.id);
      expect(deliveries[0]?.attempts).toHaveLength(1);
      return deliveries;
    });
    expect(delivery).toMatchObject({ eventId, status: 'pending', lastError: CAUSE });
    expect(delivery.attempts[0]).toMatchObject({ statusCode: null, error: CAUSE });
    expect(receiverB.received).toEqual([]);
    const refused = await api()
      .get(`/v1/subscriptions/${b.id}/secret`)
      .set(tenant.auth)
      .expect(409);
    expect(refused.body).toMatchObject({ code: 'signing_secret_unavailable' });
    expect(refused.body.message).toContain(CAUSE);

    // The column is bound too: a rotated-out secret copied back does not become current.
    await api().post(`/v1/subscriptions/${a.id}/secret/rotate`).set(tenant.auth).expect(200);
    await api().get(`/v1/subscriptions/${a.id}/secret`).set(tenant.auth).expect(200);
    await pgQuery(
      db.url,
      'UPDATE herald.subscriptions SET secret = previous_secret WHERE id = $1',
      [a.id],
    );
    await api().get(`/v1/subscriptions/${a.id}/secret`).set(tenant.auth).expect(409);

    // The resealer counts both as unopenable, and says so on the gauge.
    const report = await herald.app.get(SecretResealer).resealOnce();
    expect(report).toMatchObject({ unopenable: 2, underOldKeys: 0 });
    const metrics = await scrapeMetrics(herald.baseUrl);
    expect(metrics.value('herald_signing_secrets_unopenable')).toBe(2);

    for (const { id } of [a, b])
      await api().delete(`/v1/subscriptions/${id}`).set(tenant.auth).expect(204);
  });

  it('opens a secret stored in the old format, signs with it, and seals it again bound to its row', async () => {
    const tenant = await createTenant(herald);
    const receiver = await startReceiver();
    const { id } = await createSubscription(herald, tenant, receiver.url, ['keys.*']);
    const resealer = herald.app.get(SecretResealer);
    await resealer.resealOnce();
    const failures = async () =>
      (await scrapeMetrics(herald.baseUrl)).value('herald_delivery_signing_secret_failures_total');
    const failedBefore = await failures();

    const [first, second] = [webhookSecret(), webhookSecret()];
    await pgQuery(db.url, 'UPDATE herald.subscriptions SET secret = $2 WHERE id = $1', [
      id,
      sealUnbound(first),
    ]);
    const firstEvent = await publish(tenant, 1);
    await expectEventually(() => expect(receiver.received).toHaveLength(1));
    expect(receiver.received[0].headers['webhook-id']).toBe(firstEvent);
    expect(verifyWebhook(first, receiver.received[0]).data).toEqual({ n: 1 });
    await api()
      .get(`/v1/subscriptions/${id}/secret`)
      .set(tenant.auth)
      .expect(200)
      .expect(({ body }) => expect(body).toMatchObject({ secret: first }));

    // An old-format secret changed while a pass is about to seal it again is counted as one
    // still to move, like one under an old key.
    let held: HeldTransaction | undefined = await holdTransaction(
      db.url,
      'UPDATE herald.subscriptions SET secret = $2 WHERE id = $1',
      [id, sealUnbound(second)],
    );
    try {
      const pass = resealer.resealOnce();
      await expectEventually(async () => expect(await held!.waiting()).toBe(1));
      await held.commit();
      held = undefined;
      expect(await pass).toEqual({ resealed: 0, underOldKeys: 1, unopenable: 0 });
    } finally {
      await held?.release();
    }
    const before = await scrapeMetrics(herald.baseUrl);
    expect(before.value('herald_signing_secrets_under_old_keys')).toBe(1);

    // The next pass seals it in the bound format.
    expect(await resealer.resealOnce()).toEqual({ resealed: 1, underOldKeys: 0, unopenable: 0 });
    const after = await scrapeMetrics(herald.baseUrl);
    expect(after.value('herald_signing_secrets_under_old_keys')).toBe(0);
    const resealed = await readSecret(id);
    expect(resealed[0]).toBe(2);
    const box = new SecretBox([KEY]);
    expect(box.open(resealed, { subscriptionId: id, column: 'secret' })).toBe(second);
    expect(() => box.open(resealed, { subscriptionId: id, column: 'previous_secret' })).toThrow();

    const secondEvent = await publish(tenant, 2);
    await expectEventually(() => expect(receiver.received).toHaveLength(2));
    expect(receiver.received[1].headers['webhook-id']).toBe(secondEvent);
    expect(verifyWebhook(second, receiver.received[1]).data).toEqual({ n: 2 });
    // Neither secret ever failed to open for signing.
    expect(await failures()).toBe(failedBefore);
  });
});

/** A signing secret in the form the API hands out. */
function webhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}
