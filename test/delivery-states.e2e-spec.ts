import { claimDeliveries } from '../src/notifications/webhooks/delivery/delivery-states/claimed';
import { disableSubscription } from '../src/notifications/webhooks/delivery/delivery-states/disabled';
import { failDelivery } from '../src/notifications/webhooks/delivery/delivery-states/failed';
import { handBack } from '../src/notifications/webhooks/delivery/delivery-states/handed-back';
import { interruptDelivery } from '../src/notifications/webhooks/delivery/delivery-states/interrupted';
import { pageReplay } from '../src/notifications/webhooks/delivery/delivery-states/replay-paged';
import { recordReplay } from '../src/notifications/webhooks/delivery/delivery-states/replay-recorded';
import { retryByHand } from '../src/notifications/webhooks/delivery/delivery-states/retried-by-hand';
import { scheduleRetry } from '../src/notifications/webhooks/delivery/delivery-states/retry-scheduled';
import { recordSuccesses } from '../src/notifications/webhooks/delivery/delivery-states/succeeded';
import { createSubscription } from './utils/create-subscription';
import { createTenant, type TestTenant } from './utils/create-tenant';
import { publishAndSequence } from './utils/publish-event';
import { useTestApp } from './utils/use-test-app';

const LEASE_MS = 60_000;
const RETRIES = 3;

interface DeliveryRow {
  id: string;
  status: string;
  attempts: number;
  retries: number;
  leased: boolean;
  due: boolean;
  last_error: string | null;
}

// The transitions are called directly on a real database; no worker runs, so nothing else moves
// the rows under the test.
describe('delivery states', () => {
  const { herald } = useTestApp({ notifications: { runWorker: false } });
  let tenant: TestTenant;
  let subscriptionId: string;

  const ds = () => herald.dataSource;
  const rowsOf = (subscription: string) =>
    ds().query<DeliveryRow[]>(
      `SELECT id, status, attempts, retries, lease_until IS NOT NULL AS leased,
              next_attempt_at <= now() AS due, last_error
       FROM herald.deliveries WHERE subscription_id = $1 ORDER BY created_at`,
      [subscription],
    );
  const rowOf = async (subscription: string) => {
    const [row] = await rowsOf(subscription);
    return row;
  };
  const claim = () => claimDeliveries(ds(), subscriptionId, 10, LEASE_MS, RETRIES);
  const result = { startedAt: new Date(), durationMs: 5, statusCode: 200 };

  beforeAll(async () => {
    tenant = await createTenant(herald);
    subscriptionId = (
      await createSubscription(herald, tenant, 'http://127.0.0.1:9/hook', ['order.*'])
    ).id;
    await publishAndSequence(herald, tenant, 'order.created');
  });

  it('is created pending and due with its event, and claimed once per attempt', async () => {
    expect(await rowOf(subscriptionId)).toMatchObject({
      status: 'pending',
      attempts: 0,
      retries: 0,
      leased: false,
      due: true,
    });
    const [claimed] = await claim();
    expect(claimed.attempts).toBe(1);
    expect(await rowOf(subscriptionId)).toMatchObject({ attempts: 1, leased: true });
    // Leased: no second claim, and a retry by hand leaves the attempt in flight alone.
    expect(await claim()).toEqual([]);
    expect(await retryByHand(ds(), tenant.tenantId, claimed.id)).toEqual([]);

    // Written only by the attempt that holds the delivery.
    await scheduleRetry(
      ds().manager,
      { ...claimed, attempts: 0 },
      { retries: 1, at: new Date() },
      'x',
    );
    expect(await rowOf(subscriptionId)).toMatchObject({ retries: 0, leased: true });
    await scheduleRetry(
      ds().manager,
      claimed,
      { retries: 1, at: new Date(Date.now() + 3_600_000) },
      'HTTP 500',
    );
    expect(await rowOf(subscriptionId)).toMatchObject({
      status: 'pending',
      retries: 1,
      leased: false,
      due: false,
      last_error: 'HTTP 500',
    });
    expect(await claim()).toEqual([]);

    // By hand: due now, from the start of the schedule.
    expect(await retryByHand(ds(), tenant.tenantId, claimed.id)).toEqual([
      { id: claimed.id, subscription_id: subscriptionId, attempts: 1 },
    ]);
    expect(await rowOf(subscriptionId)).toMatchObject({ retries: 0, due: true, last_error: null });

    // Handed back unsent: the claim is undone.
    const second = await claim();
    expect(second[0].attempts).toBe(2);
    await handBack(ds(), second);
    expect(await rowOf(subscriptionId)).toMatchObject({ attempts: 1, leased: false, due: true });

    // Interrupted: the attempt counts, due again at once, no retry counted.
    const [third] = await claim();
    expect(third.attempts).toBe(2);
    await interruptDelivery(ds().manager, third, 'interrupted');
    expect(await rowOf(subscriptionId)).toMatchObject({
      attempts: 2,
      retries: 0,
      leased: false,
      due: true,
      last_error: 'interrupted',
    });

    // Failed, and a late success of the same attempt does not undo it.
    const [fourth] = await claim();
    await recordSuccesses(ds(), [{ claimed: third, result }]);
    expect(await rowOf(subscriptionId)).toMatchObject({ status: 'pending', leased: true });
    await failDelivery(ds().manager, fourth, 'HTTP 500');
    await recordSuccesses(ds(), [{ claimed: fourth, result }]);
    expect(await rowOf(subscriptionId)).toMatchObject({
      status: 'failed',
      leased: false,
      last_error: 'HTTP 500',
    });

    // Replayed: the ended delivery is pending again from the start of its schedule.
    expect(await recordReplay(ds(), subscriptionId, 0n)).toBe(1);
    expect(await pageReplay(ds(), 1000)).toMatchObject({
      subscription_id: subscriptionId,
      scheduled: 1,
      finished: true,
    });
    expect(await rowOf(subscriptionId)).toMatchObject({
      status: 'pending',
      retries: 0,
      due: true,
      last_error: null,
    });
    expect(await pageReplay(ds(), 1000)).toBeUndefined();
  });

  it('succeeds', async () => {
    const tenantB = await createTenant(herald);
    const other = await createSubscription(herald, tenantB, 'http://127.0.0.1:9/hook', ['order.*']);
    await publishAndSequence(herald, tenantB, 'order.paid');
    const claimed = await claimDeliveries(ds(), other.id, 10, LEASE_MS, RETRIES);
    await recordSuccesses(
      ds(),
      claimed.map((c) => ({ claimed: c, result })),
    );
    expect(await rowOf(other.id)).toMatchObject({ status: 'succeeded', leased: false });
  });

  it('fails the pending deliveries of a subscription it disables, once', async () => {
    expect(await disableSubscription(ds().manager, subscriptionId, 'test')).toBe(true);
    expect(await rowOf(subscriptionId)).toMatchObject({
      status: 'failed',
      last_error: 'subscription disabled',
    });
    expect(await disableSubscription(ds().manager, subscriptionId, 'test')).toBe(false);
  });
});
