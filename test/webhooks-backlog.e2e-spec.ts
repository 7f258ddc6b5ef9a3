import request from 'supertest';
import { createSubscription } from './utils/create-subscription';
import { createTenant, type TestTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { listDeliveries } from './utils/list-deliveries';
import { pgQuery } from './utils/pg-query';
import { readEvents } from './utils/read-events';
import { useReceivers } from './utils/use-receivers';
import { useTestApp } from './utils/use-test-app';
import { verifyWebhook } from './utils/verify-webhook';

const EVENTS = 60;
/** The attempt timeout of the first describe block. */
const TIMEOUT_MS = 5_000;
/**
 * Each attempt takes this long: 1.5 s inside the timeout, so a busy machine does not turn an
 * answer into a timeout (and a retry).
 */
const ANSWER_AFTER_MS = 3_500;
/** What a claim was leased for before the ready buffer: two timeouts and a 5 s margin. */
const ONE_ROUND_LEASE_MS = 2 * TIMEOUT_MS + 5_000;

describe('a backlog waiting behind a slow endpoint', () => {
  const { herald } = useTestApp({
    env: { HERALD_DELIVERY_TIMEOUT: `${TIMEOUT_MS}ms`, HERALD_SWEEP_INTERVAL: '200ms' },
  });
  const startReceiver = useReceivers();

  it('sends each claimed delivery once, however long it waits ready for a slot', async () => {
    const tenant = await createTenant(herald);
    const receiver = await startReceiver();
    receiver.answer = () => ({ status: 204, delayMs: ANSWER_AFTER_MS });
    // Published before the subscription exists, then replayed: the replay creates all sixty
    // deliveries in one statement and the drain claims them in one batch (ten slots and five
    // rounds ready), so each one's wait for a slot counts from the same claim, however long
    // publishing took.
    for (let n = 0; n < EVENTS; n++) {
      await request(herald.baseUrl)
        .post('/v1/events')
        .set(tenant.auth)
        .send({ topic: 'slow.item', payload: { n } })
        .expect(201);
    }
    await expectEventually(async () => {
      const { events } = await readEvents(herald, tenant, { after: 0, limit: EVENTS });
      expect(events).toHaveLength(EVENTS);
    });
    const subscription = await createSubscription(herald, tenant, receiver.url, ['slow.*']);
    await request(herald.baseUrl)
      .post(`/v1/subscriptions/${subscription.id}/replay`)
      .set(tenant.auth)
      .send({ after: '0' })
      .expect(202, { scheduled: EVENTS });

    // Ten at a time, so the last ten wait five rounds (17.5 s) ready behind the slots: longer
    // than a claim that holds only one round ready was leased for (15 s). A lease shorter than
    // the wait would let them be claimed again and sent twice, each claim counting an attempt.
    const deliveries = await expectEventually(
      async () => {
        const succeeded = await listDeliveries(herald, tenant, subscription.id, {
          status: 'succeeded',
        });
        expect(succeeded).toHaveLength(EVENTS);
        return succeeded;
      },
      { timeoutMs: 45_000, intervalMs: 250 },
    );
    expect(deliveries.map((delivery) => delivery.attempts.length)).toEqual(
      Array<number>(EVENTS).fill(1),
    );
    const ids = receiver.received.map((hook) => hook.headers['webhook-id']);
    expect(ids).toHaveLength(EVENTS);
    expect(new Set(ids).size).toBe(EVENTS);
    for (const hook of receiver.received) verifyWebhook(subscription.secret, hook);
    // The test proves something only if the last deliveries did outwait the one-round lease: they
    // started that long after the first, which started as soon as the batch was claimed.
    const started = deliveries.map((delivery) => Date.parse(delivery.attempts[0].startedAt));
    expect(Math.max(...started) - Math.min(...started)).toBeGreaterThan(ONE_ROUND_LEASE_MS);
  }, 70_000);
});

describe('subscriptions sharing a full worker', () => {
  /** The process's slots: one subscription's cap, so one busy subscription fills them. */
  const WORKER_SLOTS = 10;
  const BACKLOG = 200;
  const QUIET = 3;
  const { herald, db } = useTestApp({
    env: { HERALD_DELIVERY_TIMEOUT: '2s', HERALD_SWEEP_INTERVAL: '200ms' },
    notifications: { maxInFlightPerWorker: WORKER_SLOTS },
  });
  const startReceiver = useReceivers();
  const post = (tenant: TestTenant, topic: string, payload: object) =>
    request(herald.baseUrl)
      .post('/v1/events')
      .set(tenant.auth)
      .send({ topic, payload })
      .expect(201);

  it('hands a freed slot to a subscription that waited for one, not back to the one with the backlog', async () => {
    const tenant = await createTenant(herald);
    const busy = await startReceiver();
    busy.answer = () => ({ status: 204, delayMs: 300 });
    const quiet = await startReceiver();
    await createSubscription(herald, tenant, busy.url, ['busy.*']);
    const waiting = await createSubscription(herald, tenant, quiet.url, ['quiet.*']);
    for (let n = 0; n < BACKLOG; n++) await post(tenant, 'busy.item', { n });
    await expectEventually(() => expect(busy.received.length).toBeGreaterThanOrEqual(WORKER_SLOTS));

    for (let n = 0; n < QUIET; n++) await post(tenant, 'quiet.item', { n });
    // Counted from the moment the quiet deliveries are claimed, so how long publishing,
    // sequencing and the hint took on a busy machine does not count.
    await expectEventually(
      async () => {
        const [claimed] = await pgQuery<{ count: number }>(
          db.url,
          `SELECT count(*)::int AS count FROM herald.deliveries
           WHERE subscription_id = $1 AND attempts > 0`,
          [waiting.id],
        );
        expect(claimed?.count).toBe(QUIET);
      },
      { timeoutMs: 10_000, intervalMs: 20 },
    );
    const busyAtClaim = busy.received.length;
    expect(busyAtClaim).toBeLessThan(BACKLOG);
    await expectEventually(() => expect(quiet.received).toHaveLength(QUIET), { timeoutMs: 10_000 });

    // Twenty rounds of 300 ms drain the backlog; taking turns, the quiet subscription is served
    // within a round or two of its deliveries being claimed, not after the rest of the backlog.
    expect(busy.received.length - busyAtClaim).toBeLessThan(3 * WORKER_SLOTS);
    for (const hook of quiet.received) verifyWebhook(waiting.secret, hook);
    await expectEventually(() => expect(busy.received).toHaveLength(BACKLOG), {
      timeoutMs: 20_000,
    });
  }, 45_000);
});
