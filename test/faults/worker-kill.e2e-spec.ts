import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import request from 'supertest';
import { createSubscription } from '../utils/create-subscription';
import { createTenant } from '../utils/create-tenant';
import { expectEachDelivered } from '../utils/expect-each-delivered';
import { expectEventually } from '../utils/expect-eventually';
import { pgQuery } from '../utils/pg-query';
import { startProcessCluster, type ProcessCluster } from '../utils/process-cluster';
import { TEST_ADMIN_TOKEN } from '../utils/test-app';

const EVENTS = 500;
/** Requests answered before the worker dies; later ones are held unanswered until it is dead. */
const BEFORE_KILL = 100;

describe('a worker killed with SIGKILL mid-delivery', () => {
  let cluster: ProcessCluster;

  beforeAll(async () => {
    cluster = await startProcessCluster({
      HERALD_SWEEP_INTERVAL: '500ms',
      HERALD_DELIVERY_TIMEOUT: '1s',
    });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('loses nothing: the next worker delivers every event, duplicates only by webhook-id', async () => {
    const { db, receiver } = cluster;
    const [api, firstWorker] = await Promise.all([
      cluster.spawn('api,sequencer'),
      cluster.spawn('worker'),
    ]);
    const herald = { baseUrl: api.baseUrl, adminToken: TEST_ADMIN_TOKEN };

    // A slow receiver (50 ms an answer) that, past the first 100 requests, holds answers back
    // until the worker is dead: those attempts are surely in flight when it dies, never answered.
    let holding = true;
    receiver.respond = async (hook) => {
      await delay(50);
      if (holding && receiver.requests.indexOf(hook) >= BEFORE_KILL)
        return new Promise<number>(() => undefined);
      return 204;
    };

    const tenant = await createTenant(herald);
    const { secret } = await createSubscription(herald, tenant, receiver.url, ['fault.*']);
    const events = new Map<number, string>();
    const publishers = Array.from({ length: 10 }, async (_, lane) => {
      for (let n = lane; n < EVENTS; n += 10) {
        const published = await request(herald.baseUrl)
          .post('/v1/events')
          .set(tenant.auth)
          .send({ topic: 'fault.kill', payload: { n } })
          .expect(201);
        events.set(n, published.body.id as string);
      }
    });
    await Promise.all(publishers);

    await expectEventually(() => expect(receiver.requests.length).toBeGreaterThan(BEFORE_KILL), {
      timeoutMs: 20_000,
    });
    firstWorker.child.kill('SIGKILL');
    await once(firstWorker.child, 'exit');
    const killedAt = Date.now();
    // Claimed by the dead worker and never recorded: only their lease brings them back.
    const inFlight = await pgQuery<{ id: string }>(
      db.url,
      `SELECT id FROM herald.deliveries WHERE status = 'pending' AND lease_until > now()`,
    );
    expect(inFlight.length).toBeGreaterThan(0);
    holding = false;

    await cluster.spawn('worker');
    const restartedAt = Date.now();

    // The dead worker's claims lapse after 6 x HERALD_DELIVERY_TIMEOUT + the 5 s lease margin
    // (11 s), and the sweeper runs every 500 ms: 30 s is nearly three times what recovery needs.
    const { requests, duplicates } = await expectEventually(
      () => expectEachDelivered(receiver.requests, events, secret),
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    const deliveredAt = Date.now();
    const rows = await expectEventually(async () => {
      const statuses = await pgQuery<{ id: string; status: string; attempts: number }>(
        db.url,
        `SELECT id, status, attempts FROM herald.deliveries`,
      );
      expect(statuses.filter((row) => row.status !== 'succeeded')).toEqual([]);
      expect(statuses).toHaveLength(EVENTS);
      return statuses;
    });
    // The attempts the kill cut short were made again, by the next worker.
    const retried = new Map(rows.map((row) => [row.id, row.attempts]));
    for (const { id } of inFlight) expect(retried.get(id)).toBeGreaterThanOrEqual(2);
    console.log(
      `worker-kill: ${inFlight.length} attempts in flight at the kill; new worker up after ` +
        `${restartedAt - killedAt} ms; all ${EVENTS} delivered ${deliveredAt - killedAt} ms ` +
        `after the kill; ${requests} requests, ${duplicates} duplicate 2xx`,
    );
  }, 90_000);
});
