import { createSubscription } from './utils/create-subscription';
import { createTenant, type TestTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { listDeliveries } from './utils/list-deliveries';
import { sendEvent } from './utils/send-event';
import { useReceivers } from './utils/use-receivers';
import { useTestApp } from './utils/use-test-app';
import type { WebhookReceiver } from './utils/webhook-receiver';

/**
 * What a receiver answers is stored with each attempt. Text Postgres cannot hold (U+0000) used to
 * fail the batch that recorded it, and with it other tenants' successes, which were then sent again.
 */
describe('replies Postgres cannot store as they are', () => {
  const { herald } = useTestApp({ env: { HERALD_RETRY_SCHEDULE: '1h', HERALD_FAST_RETRIES: '1' } });
  const startReceiver = useReceivers();

  /** webhook-id → how many requests carried it. */
  const countIds = (receiver: WebhookReceiver) => {
    const counts = new Map<string, number>();
    for (const hook of receiver.received) {
      const id = String(hook.headers['webhook-id']);
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  };

  const publishMany = async (tenant: TestTenant, count: number) => {
    const ids: string[] = [];
    for (let n = 0; n < count; n++)
      ids.push(await sendEvent(herald, tenant, 'order.placed', { n }));
    return ids;
  };

  it("records every success once, the victim's beside a reply holding U+0000", async () => {
    const attacker = await createTenant(herald, 'attacker');
    const victim = await createTenant(herald, 'victim');
    const poisoned = await startReceiver();
    poisoned.answer = () => ({ status: 200, body: 'ok\u0000' });
    const clean = await startReceiver();
    const attackerSubscription = await createSubscription(herald, attacker, poisoned.url);
    const victimSubscription = await createSubscription(herald, victim, clean.url);

    const [attackerIds, victimIds] = await Promise.all([
      publishMany(attacker, 40),
      publishMany(victim, 40),
    ]);

    for (const [tenant, subscription] of [
      [attacker, attackerSubscription],
      [victim, victimSubscription],
    ] as const) {
      await expectEventually(async () => {
        const deliveries = await listDeliveries(herald, tenant, subscription.id, { limit: '100' });
        expect(deliveries.map((delivery) => delivery.status)).toEqual(Array(40).fill('succeeded'));
      });
    }
    const attackerDeliveries = await listDeliveries(herald, attacker, attackerSubscription.id, {
      limit: '100',
    });
    expect(attackerDeliveries.flatMap((delivery) => delivery.attempts)).toEqual(
      Array(40).fill(expect.objectContaining({ statusCode: 200, responseSnippet: 'ok\ufffd' })),
    );
    expect(countIds(poisoned)).toEqual(new Map(attackerIds.map((id) => [id, 1])));
    expect(countIds(clean)).toEqual(new Map(victimIds.map((id) => [id, 1])));
  });

  it('records a failed attempt whose reply holds U+0000, and schedules the retry', async () => {
    const tenant = await createTenant(herald);
    const receiver = await startReceiver();
    receiver.answer = () => ({ status: 500, body: 'bad\u0000' });
    const subscription = await createSubscription(herald, tenant, receiver.url);
    await sendEvent(herald, tenant, 'order.placed');

    const [delivery] = await expectEventually(async () => {
      const deliveries = await listDeliveries(herald, tenant, subscription.id);
      expect(deliveries[0]?.attempts).toHaveLength(1);
      return deliveries;
    });

    expect(delivery).toMatchObject({ status: 'pending', lastError: 'HTTP 500' });
    expect(delivery.attempts[0]).toMatchObject({ statusCode: 500, responseSnippet: 'bad\ufffd' });
  });
});
