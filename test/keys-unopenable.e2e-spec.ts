import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { createSubscription, type TestSubscription } from './utils/create-subscription';
import { createTenant, type TestTenant } from './utils/create-tenant';
import { expectEachDelivered } from './utils/expect-each-delivered';
import { expectEventually } from './utils/expect-eventually';
import { listDeliveries, type TestDelivery } from './utils/list-deliveries';
import { parseLogLines } from './utils/parse-log-lines';
import { startRecordingReceiver, type RecordingReceiver } from './utils/recording-receiver';
import { startRedisServer, type RedisServer } from './utils/redis-server';
import { scrapeMetrics } from './utils/scrape-metrics';
import { spawnHerald, type HeraldProcess } from './utils/spawn-herald';
import { stopHerald } from './utils/stop-herald';
import { TEST_ADMIN_TOKEN } from './utils/test-app';
import { createTestDatabase, type TestDatabase } from './utils/test-database';
import { verifyWebhook } from './utils/verify-webhook';

const KEY_A = randomBytes(32).toString('base64');
const KEY_B = randomBytes(32).toString('hex');

/** What each attempt records, and the dispatcher logs, when no configured key opens the secret. */
const CAUSE =
  'signing secret cannot be opened: HERALD_ENCRYPTION_KEY does not hold the key it was sealed ' +
  'with (or the stored value was altered, or copied from another row or column)';

/**
 * Short enough that attempts come every couple of seconds, long enough (about a minute of
 * retries) that the delivery is still pending however slowly the processes start.
 */
const SCHEDULE_MS = [1000, ...Array.from({ length: 29 }, () => 2000)];

/**
 * A secret sealed under a key the service no longer has: the delivery must fail each attempt
 * without sending anything (never unsigned), say why wherever an operator looks (the attempt, the
 * metrics, the log), keep to its retry schedule, and go out signed once the key is back.
 */
describe('a signing secret that no configured key opens', () => {
  let db: TestDatabase | undefined;
  let redis: RedisServer | undefined;
  let receiver: RecordingReceiver | undefined;
  const started: HeraldProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    // A Redis of its own: Bull's jobs outlive each process here, and no other spec may take them.
    redis = await startRedisServer();
    receiver = await startRecordingReceiver();
  });

  afterAll(async () => {
    for (const herald of started) await stopHerald(herald, 'SIGKILL');
    await receiver?.close();
    await redis?.stop();
    await db?.drop();
  });

  async function start(keys: string): Promise<HeraldProcess> {
    const herald = await spawnHerald(db!.url, {
      REDIS_URL: redis!.url,
      HERALD_ENCRYPTION_KEY: keys,
      HERALD_RETRY_SCHEDULE: SCHEDULE_MS.map((ms) => `${ms}ms`).join(','),
      // Retries past the fast ones are parked in Postgres and picked up by the sweeper.
      HERALD_SWEEP_INTERVAL: '500ms',
    });
    started.push(herald);
    return herald;
  }

  const endpoint = (herald: HeraldProcess) => ({
    baseUrl: herald.baseUrl,
    adminToken: TEST_ADMIN_TOKEN,
  });

  /** The dispatcher's `error` lines about `subscription`'s secret. */
  const secretErrors = (herald: HeraldProcess, subscription: TestSubscription) =>
    parseLogLines(herald.stdout()).filter(
      (line) =>
        line.level === 'error' &&
        line.msg ===
          `Subscription ${subscription.id}: ${CAUSE}; its deliveries fail and retry on schedule`,
    );

  it('fails each attempt unsent with its cause, on schedule, until the key is restored', async () => {
    // Key A seals the subscription's secret.
    const underA = await start(KEY_A);
    const tenant = await createTenant(endpoint(underA));
    const subscription = await createSubscription(endpoint(underA), tenant, receiver!.url, [
      'keys.*',
    ]);
    expect(await stopHerald(underA)).toBe(0);

    // Only key B now: the secret cannot be opened.
    const underB = await start(KEY_B);
    const events = new Map<number, string>();
    await publish(underB, tenant, events, 1);
    const pending = await expectEventually(
      async () => {
        // Checked first, so a request sent anyway (unsigned) is what a failure reports.
        expect(receiver!.requests).toEqual([]);
        const [delivery] = await listDeliveries(endpoint(underB), tenant, subscription.id);
        expect(delivery?.attempts.length).toBeGreaterThanOrEqual(2);
        return delivery;
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    expect(pending).toMatchObject({ eventId: events.get(1), status: 'pending', lastError: CAUSE });
    for (const attempt of pending.attempts) {
      expect(attempt).toMatchObject({ statusCode: null, responseSnippet: null, error: CAUSE });
    }
    expectOnSchedule(pending);
    // Nothing was sent, signed or not.
    expect(receiver!.requests).toEqual([]);

    const metrics = await expectEventually(async () => {
      const scrape = await scrapeMetrics(underB.baseUrl);
      expect(scrape.value('herald_signing_secrets_unopenable')).toBe(1);
      return scrape;
    });
    expect(metrics.value('herald_delivery_signing_secret_failures_total')).toBeGreaterThanOrEqual(
      pending.attempts.length,
    );
    expect(metrics.value('herald_signing_secrets_under_old_keys')).toBe(0);

    // Logged at error, once for the subscription however many attempts failed (once a minute).
    await expectEventually(() => expect(secretErrors(underB, subscription)).toHaveLength(1));
    expect(parseLogLines(underB.stdout())).toContainEqual(
      expect.objectContaining({
        level: 'error',
        msg: expect.stringMatching(
          /^1 signing secrets cannot be opened with the configured keys \(HERALD_ENCRYPTION_KEY\)/,
        ),
      }),
    );
    expect(secretErrors(underB, subscription)).toHaveLength(1);
    expect(receiver!.requests).toEqual([]);
    expect(await stopHerald(underB)).toBe(0);

    // Key A back in the list, behind B: the next attempt opens the secret and is sent, signed.
    const restored = await start(`${KEY_B},${KEY_A}`);
    const succeeded = await expectEventually(
      async () => {
        const [delivery] = await listDeliveries(endpoint(restored), tenant, subscription.id);
        expect(delivery?.status).toBe('succeeded');
        return delivery;
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    const failures = succeeded.attempts.slice(0, -1);
    expect(failures.length).toBeGreaterThanOrEqual(pending.attempts.length);
    for (const attempt of failures) expect(attempt.error).toBe(CAUSE);
    expect(succeeded.attempts.at(-1)).toMatchObject({ statusCode: 204, error: null });
    expect(succeeded.attempts.map((attempt) => attempt.attempt)).toEqual(
      succeeded.attempts.map((_, index) => index + 1),
    );
    expect(receiver!.requests).toHaveLength(1);
    expectEachDelivered(receiver!.requests, events, subscription.secret);

    // A retry asked for by hand works as usual: sent again, same webhook-id, signed.
    await request(restored.baseUrl)
      .post(`/v1/deliveries/${succeeded.id}/retry`)
      .set(tenant.auth)
      .expect(202);
    await expectEventually(() => expect(receiver!.requests).toHaveLength(2));
    const [, again] = receiver!.requests;
    expect(again.webhookId).toBe(events.get(1));
    expect(verifyWebhook(subscription.secret, again).data).toEqual({ n: 1 });
    await expectEventually(async () => {
      const [delivery] = await listDeliveries(endpoint(restored), tenant, subscription.id);
      expect(delivery).toMatchObject({ status: 'succeeded', lastError: null });
      expect(delivery?.attempts).toHaveLength(succeeded.attempts.length + 1);
      expect(delivery?.attempts.at(-1)).toMatchObject({ statusCode: 204, error: null });
    });

    // And new events go out as they always did.
    await publish(restored, tenant, events, 2);
    await expectEventually(() =>
      expectEachDelivered(receiver!.requests, events, subscription.secret),
    );
    const after = await expectEventually(async () => {
      const scrape = await scrapeMetrics(restored.baseUrl);
      expect(scrape.value('herald_signing_secrets_unopenable')).toBe(0);
      return scrape;
    });
    expect(after.value('herald_delivery_signing_secret_failures_total')).toBe(0);
    expect(secretErrors(restored, subscription)).toEqual([]);
    expect(await stopHerald(restored)).toBe(0);
  }, 120_000);
});

/**
 * Each attempt came no sooner than the schedule allows (its delay less the 20 % jitter), and the
 * next is due one scheduled delay (±20 %) after the last.
 */
function expectOnSchedule(delivery: TestDelivery): void {
  const starts = delivery.attempts.map((attempt) => Date.parse(attempt.startedAt));
  // Both clocks are this machine's (Node's for the start, Postgres's for the due time).
  const early = starts
    .map((start, index) => ({ retry: index, afterMs: start - (starts[index - 1] ?? -Infinity) }))
    .filter(({ retry, afterMs }) => retry > 0 && afterMs < 0.8 * SCHEDULE_MS[retry - 1] - 50);
  expect(early).toEqual([]);
  const delay = SCHEDULE_MS[starts.length - 1];
  const dueIn = Date.parse(delivery.nextAttemptAt!) - starts.at(-1)!;
  expect(dueIn).toBeGreaterThanOrEqual(0.8 * delay);
  // The rest is the time the attempt took to fail and be recorded.
  expect(dueIn).toBeLessThanOrEqual(1.2 * delay + 1000);
}

/** Publishes `{ n }` on `keys.sealed` and notes its event id under `n`. */
async function publish(
  herald: HeraldProcess,
  tenant: TestTenant,
  events: Map<number, string>,
  n: number,
): Promise<void> {
  const published = await request(herald.baseUrl)
    .post('/v1/events')
    .set(tenant.auth)
    .send({ topic: 'keys.sealed', payload: { n } })
    .expect(201);
  events.set(n, published.body.id as string);
}
