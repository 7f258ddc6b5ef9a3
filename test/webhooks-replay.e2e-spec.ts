import request from 'supertest';
import { PUBLISHED_CHANNEL } from '../src/notifications/notifications.constants';
import { DeliveryQueue } from '../src/notifications/webhooks/delivery/delivery-queue';
import { REPLAY_PAGE_SIZE } from '../src/notifications/webhooks/delivery/replay-pager';
import { createSubscription } from './utils/create-subscription';
import { createTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { pgQuery } from './utils/pg-query';
import { useReceivers } from './utils/use-receivers';
import { startTestApp } from './utils/test-app';
import { useTestApp } from './utils/use-test-app';

const EVENTS = 10_000;

describe('replay', () => {
  // Fifty attempts at a time, so ten thousand deliveries take seconds rather than a minute.
  const { herald, db } = useTestApp({ notifications: { maxInFlightPerSubscription: 50 } });
  const startReceiver = useReceivers();

  afterEach(() => jest.restoreAllMocks());

  it('schedules 10,000 retained events a page at a time and delivers each once', async () => {
    const tenant = await createTenant(herald);
    const receiver = await startReceiver();
    // Published as the publisher does (rows, then a NOTIFY), before the subscription exists, so
    // only the replay can deliver them.
    const inserted = await pgQuery<{ id: string }>(
      db.url,
      `WITH inserted AS (
         INSERT INTO herald.events (id, tenant_id, topic, payload)
         SELECT gen_random_uuid(), $1, 'bulk.item', jsonb_build_object('n', n)
         FROM generate_series(1, $2) n
         RETURNING id)
       SELECT id, pg_notify('${PUBLISHED_CHANNEL}', '') FROM inserted`,
      [tenant.tenantId, EVENTS],
    );
    await expectEventually(async () => {
      const [row] = await pgQuery<{ n: number }>(
        db.url,
        'SELECT count(*)::int AS n FROM herald.events WHERE position IS NULL',
      );
      expect(row.n).toBe(0);
    });
    const subscription = await createSubscription(herald, tenant, receiver.url, ['bulk.*']);

    // What replay's statements hand back to the process, and what it hints Bull with.
    const returned: number[] = [];
    const query = herald.dataSource.query.bind(herald.dataSource);
    jest.spyOn(herald.dataSource, 'query').mockImplementation(async (sql, parameters) => {
      const result: unknown = await query(sql, parameters);
      if (sql.includes('herald.replays') && Array.isArray(result)) returned.push(result.length);
      return result;
    });
    const hinted: number[] = [];
    const queue = herald.app.get(DeliveryQueue);
    const hint = queue.hint.bind(queue);
    jest.spyOn(queue, 'hint').mockImplementation((deliveries, delayMs, suffix) => {
      if (suffix?.startsWith(':replay')) hinted.push(deliveries.length);
      hint(deliveries, delayMs, suffix);
    });

    await request(herald.baseUrl)
      .post(`/v1/subscriptions/${subscription.id}/replay`)
      .set(tenant.auth)
      .send({ after: '0' })
      .expect(202, { scheduled: EVENTS });

    await expectEventually(() => expect(receiver.received.length).toBeGreaterThanOrEqual(EVENTS), {
      timeoutMs: 120_000,
      intervalMs: 250,
    });
    const ids = receiver.received.map((hook) => hook.headers['webhook-id']);
    expect(new Set(ids)).toEqual(new Set(inserted.map((row) => row.id)));
    expect(ids).toHaveLength(EVENTS);
    // Nothing more is on its way: every delivery succeeded and the replay is done.
    await expectEventually(async () => {
      const [row] = await pgQuery<{ succeeded: number; replays: number }>(
        db.url,
        `SELECT (SELECT count(*)::int FROM herald.deliveries
                 WHERE subscription_id = $1 AND status = 'succeeded') AS succeeded,
                (SELECT count(*)::int FROM herald.replays) AS replays`,
        [subscription.id],
      );
      expect(row).toEqual({ succeeded: EVENTS, replays: 0 });
    });
    expect(receiver.received).toHaveLength(EVENTS);

    // The process never held more than a row per statement of the replay, nor hinted more than
    // once a page: ten pages, ten hints of one delivery each.
    expect(Math.max(...returned)).toBe(1);
    expect(hinted).toEqual(Array<number>(EVENTS / REPLAY_PAGE_SIZE).fill(1));
  }, 180_000);

  it('counts and sends what fan-out would have: no event about itself, no test event of another', async () => {
    const tenant = await createTenant(herald);
    const receiver = await startReceiver();
    const subscription = await createSubscription(herald, tenant, receiver.url, [
      'webhook.*',
      'x.*',
    ]);
    const other = await createSubscription(herald, tenant, 'http://127.0.0.1:9/other', ['*']);
    // Herald's own kinds of events and a plain one each way, written while the subscription is
    // disabled, so only the replay can deliver them.
    await request(herald.baseUrl)
      .patch(`/v1/subscriptions/${subscription.id}`)
      .set(tenant.auth)
      .send({ enabled: false })
      .expect(200);
    const wanted = await pgQuery<{ id: string }>(
      db.url,
      `INSERT INTO herald.events (id, tenant_id, topic, payload, target_subscription_id)
       VALUES (gen_random_uuid(), $1, 'webhook.subscription.disabled',
               jsonb_build_object('subscriptionId', $2::text), NULL),
              (gen_random_uuid(), $1, 'x.item', '{}', NULL)
       RETURNING id`,
      [tenant.tenantId, other.id],
    );
    await pgQuery(
      db.url,
      `INSERT INTO herald.events (id, tenant_id, topic, payload, target_subscription_id)
       VALUES (gen_random_uuid(), $1, 'webhook.subscription.disabled',
               jsonb_build_object('subscriptionId', $2::text), NULL),
              (gen_random_uuid(), $1, 'webhook.test', '{}', $3),
              (gen_random_uuid(), $1, 'y.item', '{}', NULL)`,
      [tenant.tenantId, subscription.id, other.id],
    );
    await pgQuery(db.url, `SELECT pg_notify('${PUBLISHED_CHANNEL}', '')`);
    await expectEventually(async () => {
      const rows = await pgQuery(db.url, 'SELECT 1 FROM herald.events WHERE position IS NULL');
      expect(rows).toHaveLength(0);
    });
    await request(herald.baseUrl)
      .patch(`/v1/subscriptions/${subscription.id}`)
      .set(tenant.auth)
      .send({ enabled: true })
      .expect(200);

    await request(herald.baseUrl)
      .post(`/v1/subscriptions/${subscription.id}/replay`)
      .set(tenant.auth)
      .send({ after: '0' })
      .expect(202, { scheduled: 2 });
    await expectEventually(() => expect(receiver.received).toHaveLength(2));
    const ids = receiver.received.map((hook) => hook.headers['webhook-id']);
    expect(new Set(ids)).toEqual(new Set(wanted.map((row) => row.id)));
  });

  it('is taken up by the next process where the last committed page ended', async () => {
    const tenant = await createTenant(herald);
    const receiver = await startReceiver();
    const events = await pgQuery<{ id: string }>(
      db.url,
      `INSERT INTO herald.events (id, tenant_id, topic, payload)
       SELECT gen_random_uuid(), $1, 'kept.item', jsonb_build_object('n', n)
       FROM generate_series(1, 30) n
       RETURNING id`,
      [tenant.tenantId],
    );
    await pgQuery(db.url, `SELECT pg_notify('${PUBLISHED_CHANNEL}', '')`);
    const positions = await expectEventually(async () => {
      const rows = await pgQuery<{ id: string; position: string }>(
        db.url,
        'SELECT id, position FROM herald.events WHERE tenant_id = $1 ORDER BY position',
        [tenant.tenantId],
      );
      expect(rows.every((row) => row.position !== null)).toBe(true);
      return rows;
    });
    expect(positions).toHaveLength(events.length);
    const subscription = await createSubscription(herald, tenant, receiver.url, ['kept.*']);
    // What a process leaves that stopped after paging the first ten events of a replay from 0.
    await pgQuery(
      db.url,
      `INSERT INTO herald.replays (subscription_id, after_position, through_position)
       VALUES ($1, $2, $3)`,
      [subscription.id, positions[9].position, positions[29].position],
    );

    const next = await startTestApp({ databaseUrl: db.url });
    try {
      await expectEventually(() => expect(receiver.received).toHaveLength(20));
      const ids = receiver.received.map((hook) => hook.headers['webhook-id']);
      expect(new Set(ids)).toEqual(new Set(positions.slice(10).map((row) => row.id)));
      await expectEventually(async () => {
        expect(await pgQuery(db.url, 'SELECT 1 FROM herald.replays')).toHaveLength(0);
      });
    } finally {
      await next.close();
    }
  });
});
