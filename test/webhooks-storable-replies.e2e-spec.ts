import { createSubscription } from './utils/create-subscription';
import { createTenant, type TestTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { listDeliveries } from './utils/list-deliveries';
import { pgQuery } from './utils/pg-query';
import { readEvents } from './utils/read-events';
import { scrapeMetrics } from './utils/scrape-metrics';
import { sendEvent } from './utils/send-event';
import { useReceivers } from './utils/use-receivers';
import { useTestApp } from './utils/use-test-app';
import type { WebhookReceiver } from './utils/webhook-receiver';

/** Two quick retries: three attempts, then `failed`. */
const ATTEMPTS = 3;

/** What the test's trigger refuses to store in an attempt row. */
const REFUSED_MARKER = 'refuse-me';

/**
 * What a receiver answers is stored with each attempt. Text Postgres cannot hold (U+0000) used to
 * fail the batch that recorded it, and with it other tenants' successes, which were then sent again.
 */
describe('replies Postgres cannot store as they are', () => {
  const { herald, db } = useTestApp({
    env: { HERALD_RETRY_SCHEDULE: '100ms,100ms', HERALD_FAST_RETRIES: '2' },
  });
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

  it("follows the retry schedule for failure replies holding U+0000 and invalid UTF-8, beside the victim's successes", async () => {
    const attacker = await createTenant(herald, 'attacker');
    const victim = await createTenant(herald, 'victim');
    const poisoned = await startReceiver();
    // "b", U+0000, a lead byte without its continuation, and a byte no UTF-8 text holds.
    poisoned.answer = () => ({ status: 500, body: Buffer.from([0x62, 0x00, 0xc3, 0x28, 0xff]) });
    const clean = await startReceiver();
    const attackerSubscription = await createSubscription(herald, attacker, poisoned.url);
    const victimSubscription = await createSubscription(herald, victim, clean.url);

    const [attackerIds, victimIds] = await Promise.all([
      publishMany(attacker, 40),
      publishMany(victim, 40),
    ]);

    const attackerDeliveries = await expectEventually(
      async () => {
        const deliveries = await listDeliveries(herald, attacker, attackerSubscription.id);
        expect(deliveries.map((delivery) => delivery.status)).toEqual(Array(40).fill('failed'));
        return deliveries;
      },
      { timeoutMs: 20_000 },
    );
    for (const delivery of attackerDeliveries) {
      expect(delivery.lastError).toBe('HTTP 500');
      expect(delivery.attempts).toEqual(
        Array(ATTEMPTS).fill(
          expect.objectContaining({ statusCode: 500, responseSnippet: 'b\ufffd\ufffd(\ufffd' }),
        ),
      );
    }
    expect(countIds(poisoned)).toEqual(new Map(attackerIds.map((id) => [id, ATTEMPTS])));
    const victimDeliveries = await expectEventually(async () => {
      const deliveries = await listDeliveries(herald, victim, victimSubscription.id);
      expect(deliveries.map((delivery) => delivery.status)).toEqual(Array(40).fill('succeeded'));
      return deliveries;
    });
    expect(victimDeliveries.map((delivery) => delivery.attempts.length)).toEqual(Array(40).fill(1));
    expect(countIds(clean)).toEqual(new Map(victimIds.map((id) => [id, 1])));
  }, 30_000);

  it('fails, visibly and once, deliveries whose attempt Postgres refuses to record, and records every other once', async () => {
    // Fault injection in this test's own database: any attempt row carrying the marker is refused,
    // as Postgres refuses a row it cannot store.
    await pgQuery(
      db.url,
      `CREATE FUNCTION public.refuse_marked_attempt() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW.response_snippet LIKE '%${REFUSED_MARKER}%' OR NEW.error LIKE '%${REFUSED_MARKER}%' THEN
           RAISE EXCEPTION 'attempt row refused by the test trigger';
         END IF;
         RETURN NEW;
       END $$`,
    );
    await pgQuery(
      db.url,
      `CREATE TRIGGER refuse_marked_attempt BEFORE INSERT ON herald.delivery_attempts
       FOR EACH ROW EXECUTE FUNCTION public.refuse_marked_attempt()`,
    );
    try {
      const failuresBefore = await recordFailures(herald.baseUrl, 'failed');
      const attacker = await createTenant(herald, 'attacker');
      const victim = await createTenant(herald, 'victim');
      // One answers 2xx (recorded in batches with others' successes), one 500 (recorded alone).
      const refusedSuccess = await startReceiver();
      refusedSuccess.answer = () => ({ status: 200, body: REFUSED_MARKER });
      const refusedFailure = await startReceiver();
      refusedFailure.answer = () => ({ status: 500, body: REFUSED_MARKER });
      const clean = await startReceiver();
      const attackerSubscriptions = [
        { receiver: refusedSuccess, statusCode: 200 },
        { receiver: refusedFailure, statusCode: 500 },
      ];
      const subscriptions = await Promise.all(
        attackerSubscriptions.map(({ receiver }) =>
          createSubscription(herald, attacker, receiver.url, ['order.*']),
        ),
      );
      const victimSubscription = await createSubscription(herald, victim, clean.url);

      const [attackerIds, victimIds] = await Promise.all([
        publishMany(attacker, 40),
        publishMany(victim, 40),
      ]);

      const victimDeliveries = await expectEventually(async () => {
        const deliveries = await listDeliveries(herald, victim, victimSubscription.id);
        expect(deliveries.map((delivery) => delivery.status)).toEqual(Array(40).fill('succeeded'));
        return deliveries;
      });
      expect(victimDeliveries.map((delivery) => delivery.attempts.length)).toEqual(
        Array(40).fill(1),
      );
      expect(countIds(clean)).toEqual(new Map(victimIds.map((id) => [id, 1])));

      for (const [index, { receiver, statusCode }] of attackerSubscriptions.entries()) {
        const deliveries = await expectEventually(async () => {
          const listed = await listDeliveries(herald, attacker, subscriptions[index].id);
          expect(listed.map((delivery) => delivery.status)).toEqual(Array(40).fill('failed'));
          return listed;
        });
        for (const delivery of deliveries) {
          expect(delivery.lastError).toBe(
            'recording the attempt failed: attempt row refused by the test trigger',
          );
          // The attempt as far as it can be stored: without the answer Postgres refused.
          expect(delivery.attempts).toEqual([
            expect.objectContaining({
              attempt: 1,
              statusCode,
              responseSnippet: null,
              error: delivery.lastError,
            }),
          ]);
        }
        // Sent once: failed, the delivery is never claimed again, lease after lease.
        expect(countIds(receiver)).toEqual(new Map(attackerIds.map((id) => [id, 1])));
      }
      const [leased] = await pgQuery<{ count: number }>(
        db.url,
        `SELECT count(*)::int AS count FROM herald.deliveries
         WHERE tenant_id = $1 AND lease_until IS NOT NULL`,
        [attacker.tenantId],
      );
      expect(leased.count).toBe(0);
      expect((await recordFailures(herald.baseUrl, 'failed')) - failuresBefore).toBe(80);
      // The tenant is told, as for any delivery given up on.
      const { events } = await readEvents(herald, attacker, {
        topics: 'webhook.attempt.exhausted',
        after: 0,
        limit: 100,
      });
      expect(events).toHaveLength(80);
    } finally {
      await pgQuery(db.url, 'DROP TRIGGER refuse_marked_attempt ON herald.delivery_attempts');
      await pgQuery(db.url, 'DROP FUNCTION public.refuse_marked_attempt()');
    }
  }, 30_000);
});

/** Nothing about an attempt can be written: neither its row nor its delivery's failure. */
describe('an attempt whose failure cannot be recorded either', () => {
  /** The lease of a claim with a 1 s timeout: six timeouts and 5 s. */
  const LEASE_MS = 11_000;
  const { herald, db } = useTestApp({
    env: {
      HERALD_RETRY_SCHEDULE: '100ms',
      HERALD_FAST_RETRIES: '1',
      HERALD_DELIVERY_TIMEOUT: '1s',
      HERALD_SWEEP_INTERVAL: '200ms',
    },
  });
  const startReceiver = useReceivers();

  it('comes back when its lease runs out, counted as a retry, until the schedule is used up', async () => {
    await pgQuery(
      db.url,
      `CREATE FUNCTION public.refuse_recording() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_TABLE_NAME = 'delivery_attempts' OR NEW.last_error LIKE 'recording the attempt failed%' THEN
           RAISE EXCEPTION 'refused by the test trigger';
         END IF;
         RETURN NEW;
       END $$;
       CREATE TRIGGER refuse_attempts BEFORE INSERT ON herald.delivery_attempts
         FOR EACH ROW EXECUTE FUNCTION public.refuse_recording();
       CREATE TRIGGER refuse_failing BEFORE UPDATE ON herald.deliveries
         FOR EACH ROW EXECUTE FUNCTION public.refuse_recording();`,
    );
    try {
      const lostBefore = await recordFailures(herald.baseUrl, 'lost');
      const tenant = await createTenant(herald);
      const receiver = await startReceiver();
      receiver.answer = () => ({ status: 500 });
      const subscription = await createSubscription(herald, tenant, receiver.url);
      const id = await sendEvent(herald, tenant, 'order.placed');

      const [delivery] = await expectEventually(
        async () => {
          const deliveries = await listDeliveries(herald, tenant, subscription.id);
          expect(deliveries[0]?.status).toBe('failed');
          return deliveries;
        },
        { timeoutMs: 3 * LEASE_MS, intervalMs: 250 },
      );

      // The first attempt, then one retry when its lease ran out; the second lost attempt used
      // the one-retry schedule up.
      expect(delivery.lastError).toBe(
        'attempt 2 was never recorded (its lease ran out) and the retry schedule is used up',
      );
      expect(receiver.received.map((hook) => hook.headers['webhook-id'])).toEqual([id, id]);
      expect((await recordFailures(herald.baseUrl, 'lost')) - lostBefore).toBe(2);
    } finally {
      await pgQuery(
        db.url,
        `DROP TRIGGER refuse_attempts ON herald.delivery_attempts;
         DROP TRIGGER refuse_failing ON herald.deliveries;
         DROP FUNCTION public.refuse_recording();`,
      );
    }
  }, 45_000);
});

async function recordFailures(baseUrl: string, result: 'failed' | 'lost'): Promise<number> {
  return (
    (await scrapeMetrics(baseUrl)).value('herald_delivery_record_failures_total', { result }) ?? NaN
  );
}

/**
 * The connection recording an outcome is dropped (a restart, a failover): no fault of the row, so
 * the outcome is written on another connection rather than failing the delivery.
 */
describe('an outcome whose connection is dropped while it is recorded', () => {
  const { herald, db } = useTestApp({
    env: { HERALD_RETRY_SCHEDULE: '100ms', HERALD_FAST_RETRIES: '1' },
  });
  const startReceiver = useReceivers();

  /**
   * A trigger that ends its own connection the first time the recorder writes to `table` (the
   * sequence counts past the rollback).
   */
  const dropConnectionOnce = (table: string) =>
    pgQuery(
      db.url,
      `CREATE SEQUENCE public.dropped;
       CREATE FUNCTION public.drop_connection_once() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         -- Only what the recorder writes: an attempt row, or a delivery turning succeeded.
         IF TG_TABLE_NAME = 'deliveries' THEN
           IF NEW.status <> 'succeeded' THEN
             RETURN NEW;
           END IF;
         END IF;
         IF nextval('public.dropped') = 1 THEN
           PERFORM pg_terminate_backend(pg_backend_pid());
         END IF;
         RETURN NEW;
       END $$;
       CREATE TRIGGER drop_connection_once BEFORE INSERT OR UPDATE ON herald.${table}
         FOR EACH ROW EXECUTE FUNCTION public.drop_connection_once();`,
    );
  const removeTrigger = (table: string) =>
    pgQuery(
      db.url,
      `DROP TRIGGER drop_connection_once ON herald.${table};
       DROP FUNCTION public.drop_connection_once();
       DROP SEQUENCE public.dropped;`,
    );
  const timesDropped = async () =>
    Number(
      (await pgQuery<{ last_value: string; is_called: boolean }>(
        db.url,
        'SELECT last_value, is_called FROM public.dropped',
      ))[0].is_called,
    );

  it.each([
    ['a success', 'deliveries', 200, 'succeeded', [200]],
    ['a failure', 'delivery_attempts', 500, 'failed', [500, 500]],
  ] as const)(
    'records %s once on another connection',
    async (_, table, status, settled, statusCodes) => {
      await dropConnectionOnce(table);
      try {
        const tenant = await createTenant(herald);
        const receiver = await startReceiver();
        receiver.answer = () => ({ status });
        const subscription = await createSubscription(herald, tenant, receiver.url);
        const id = await sendEvent(herald, tenant, 'order.placed');

        const [delivery] = await expectEventually(async () => {
          const deliveries = await listDeliveries(herald, tenant, subscription.id);
          expect(deliveries[0]?.status).toBe(settled);
          return deliveries;
        });
        expect(await timesDropped()).toBe(1);
        expect(delivery.attempts.map((attempt) => attempt.statusCode)).toEqual(statusCodes);
        expect(delivery.lastError ?? '').not.toContain('recording the attempt failed');
        expect(receiver.received.map((hook) => hook.headers['webhook-id'])).toEqual(
          statusCodes.map(() => id),
        );
      } finally {
        await removeTrigger(table);
      }
    },
  );
});
