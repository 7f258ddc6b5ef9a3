import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { SecretBox } from '../src/notifications/webhooks/secrets/secret-box';
import { SecretResealer } from '../src/notifications/webhooks/subscriptions/secret-resealer';
import { createSubscription } from './utils/create-subscription';
import { createTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { holdTransaction, type HeldTransaction } from './utils/hold-transaction';
import { pgQuery } from './utils/pg-query';
import { scrapeMetrics } from './utils/scrape-metrics';
import { startTestApp, type TestApp } from './utils/test-app';
import { createTestDatabase, type TestDatabase } from './utils/test-database';
import { useReceivers } from './utils/use-receivers';
import { verifyWebhook } from './utils/verify-webhook';

const KEY_A = randomBytes(32);
const KEY_B = randomBytes(32);

/** Every sealed secret that signs, by subscription and column. */
interface SealedSecret {
  id: string;
  column: 'secret' | 'previous_secret';
  sealed: Buffer;
}

async function readSealedSecrets(databaseUrl: string): Promise<SealedSecret[]> {
  const rows = await pgQuery<{ id: string; secret: Buffer; previous_secret: Buffer | null }>(
    databaseUrl,
    'SELECT id, secret, previous_secret FROM herald.subscriptions ORDER BY id',
  );
  return rows.flatMap(({ id, secret, previous_secret: previous }) => [
    { id, column: 'secret' as const, sealed: secret },
    ...(previous ? [{ id, column: 'previous_secret' as const, sealed: previous }] : []),
  ]);
}

/** What `box` opens each sealed secret to, or `null` where it cannot. */
function openEach(box: SecretBox, secrets: SealedSecret[]): (string | null)[] {
  return secrets.map(({ id, column, sealed }) => {
    try {
      return box.open(sealed, { subscriptionId: id, column });
    } catch {
      return null;
    }
  });
}

/**
 * Rotating HERALD_ENCRYPTION_KEY as an operator would: put the new key first and keep the old one
 * behind it; once every secret is sealed under the new key (the gauge of secrets under old keys
 * reads 0), the old key can be removed and every webhook still goes out, signed as before.
 */
describe('rotating the encryption key', () => {
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

  async function start(keys: Buffer[]): Promise<TestApp> {
    await app?.close();
    app = await startTestApp({
      databaseUrl: db!.url,
      env: { HERALD_ENCRYPTION_KEY: keys.map((key) => key.toString('base64')).join(',') },
    });
    return app;
  }

  it('seals every secret again under the first key, so the old key can be removed', async () => {
    // Under key A: two subscriptions, one of them just rotated, so its previous secret still
    // signs beside the new one and is sealed too.
    const underA = await start([KEY_A]);
    const tenant = await createTenant(underA);
    const [plain, rotating] = [await startReceiver(), await startReceiver()];
    const plainSubscription = await createSubscription(underA, tenant, plain.url, ['keys.*']);
    const rotatingSubscription = await createSubscription(underA, tenant, rotating.url, ['keys.*']);
    const rotated = await request(underA.baseUrl)
      .post(`/v1/subscriptions/${rotatingSubscription.id}/secret/rotate`)
      .set(tenant.auth)
      .expect(200);
    const rotatedSecret = rotated.body.secret as string;

    const sealedUnderA = await readSealedSecrets(db!.url);
    expect(sealedUnderA).toHaveLength(3);
    const plaintexts = openEach(new SecretBox([KEY_A]), sealedUnderA);
    expect(plaintexts).not.toContain(null);
    expect(openEach(new SecretBox([KEY_B]), sealedUnderA)).toEqual([null, null, null]);

    // B first, A behind it: the resealer moves every secret, previous ones included, to B.
    const rotating2 = await start([KEY_B, KEY_A]);
    await expectEventually(async () =>
      expect(openEach(new SecretBox([KEY_B]), await readSealedSecrets(db!.url))).toEqual(
        plaintexts,
      ),
    );
    // A pass now finds nothing left to do, and the gauges say so.
    expect(await rotating2.app.get(SecretResealer).resealOnce()).toEqual({
      resealed: 0,
      underOldKeys: 0,
      unopenable: 0,
    });
    const metrics = await scrapeMetrics(rotating2.baseUrl);
    expect(metrics.value('herald_signing_secrets_under_old_keys')).toBe(0);
    expect(metrics.value('herald_signing_secrets_unopenable')).toBe(0);

    // Key A removed: every webhook still goes out, signed with the secrets the subscriptions had.
    const underB = await start([KEY_B]);
    const published = await request(underB.baseUrl)
      .post('/v1/events')
      .set(tenant.auth)
      .send({ topic: 'keys.rotated', payload: { n: 1 } })
      .expect(201);
    await expectEventually(() => {
      expect(plain.received).toHaveLength(1);
      expect(rotating.received).toHaveLength(1);
    });
    for (const hook of [...plain.received, ...rotating.received])
      expect(hook.headers['webhook-id']).toBe(published.body.id);
    expect(verifyWebhook(plainSubscription.secret, plain.received[0]).data).toEqual({ n: 1 });
    // Both secrets of the rotated subscription sign during its grace period.
    expect(verifyWebhook(rotatedSecret, rotating.received[0]).data).toEqual({ n: 1 });
    expect(verifyWebhook(rotatingSubscription.secret, rotating.received[0]).data).toEqual({ n: 1 });
    const after = await scrapeMetrics(underB.baseUrl);
    expect(after.value('herald_delivery_signing_secret_failures_total')).toBe(0);
    expect(after.value('herald_signing_secrets_unopenable')).toBe(0);
  }, 60_000);

  it('counts a secret a pass could not move under an old key, and the next pass moves it', async () => {
    const rotating2 = await start([KEY_B, KEY_A]);
    const resealer = rotating2.app.get(SecretResealer);
    const tenant = await createTenant(rotating2);
    const receiver = await startReceiver();
    const { id } = await createSubscription(rotating2, tenant, receiver.url, ['keys.*']);
    // Whatever the start-up pass was doing is over; every secret is under B.
    await resealer.resealOnce();

    // A process still sealing with A (one not yet given the new list) writes this secret, and
    // changes it again while a pass is about to seal the first value under B.
    const underA = new SecretBox([KEY_A]);
    const [first, second] = [webhookSecret(), webhookSecret()];
    await pgQuery(db!.url, 'UPDATE herald.subscriptions SET secret = $2 WHERE id = $1', [
      id,
      underA.seal(first, { subscriptionId: id, column: 'secret' }),
    ]);
    let held: HeldTransaction | undefined = await holdTransaction(
      db!.url,
      'UPDATE herald.subscriptions SET secret = $2 WHERE id = $1',
      [id, underA.seal(second, { subscriptionId: id, column: 'secret' })],
    );
    try {
      const pass = resealer.resealOnce();
      // The pass read the first value and waits to replace it; the change lands first.
      await expectEventually(async () => expect(await held!.waiting()).toBe(1));
      await held.commit();
      held = undefined;
      expect(await pass).toEqual({ resealed: 0, underOldKeys: 1, unopenable: 0 });
    } finally {
      await held?.release();
    }
    const before = await scrapeMetrics(rotating2.baseUrl);
    expect(before.value('herald_signing_secrets_under_old_keys')).toBe(1);

    // The next pass seals it under B, and the gauge reads 0: A can go.
    expect(await resealer.resealOnce()).toEqual({ resealed: 1, underOldKeys: 0, unopenable: 0 });
    const after = await scrapeMetrics(rotating2.baseUrl);
    expect(after.value('herald_signing_secrets_under_old_keys')).toBe(0);
    const [sealed] = await pgQuery<{ secret: Buffer }>(
      db!.url,
      'SELECT secret FROM herald.subscriptions WHERE id = $1',
      [id],
    );
    expect(
      new SecretBox([KEY_B]).open(sealed.secret, { subscriptionId: id, column: 'secret' }),
    ).toBe(second);

    await request(rotating2.baseUrl)
      .post('/v1/events')
      .set(tenant.auth)
      .send({ topic: 'keys.moved', payload: { n: 2 } })
      .expect(201);
    await expectEventually(() => expect(receiver.received).toHaveLength(1));
    expect(verifyWebhook(second, receiver.received[0]).data).toEqual({ n: 2 });
  }, 60_000);
});

/** A signing secret in the form the API hands out. */
function webhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}
