import request from 'supertest';
import { busiestWindow } from './utils/busiest-window';
import { createSubscription } from './utils/create-subscription';
import { createTenant, type TestTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { findSocketOwner } from './utils/find-socket-owner';
import { listDeliveries } from './utils/list-deliveries';
import { startProcessCluster, type ProcessCluster } from './utils/process-cluster';
import type { HeraldProcess } from './utils/spawn-herald';
import { TEST_ADMIN_TOKEN, type HeraldEndpoint } from './utils/test-app';
import { verifyWebhook } from './utils/verify-webhook';

const LIMIT = 5;
const DELIVERIES = 40;
/** The receiver stamps arrivals with `Date.now()`, in whole milliseconds. */
const CLOCK_ALLOWANCE_MS = 5;
const WINDOW_MS = 1_000 - CLOCK_ALLOWANCE_MS;

/**
 * Two worker processes drain one rate-limited subscription side by side: the limit is theirs
 * together (kept in Redis), not each one's. Which process sent a request is read from the
 * operating system (the TCP connection it came in on), as in the roles test.
 */
describe('a subscription rate limit over two worker processes', () => {
  let cluster: ProcessCluster;
  let first: HeraldProcess;
  let second: HeraldProcess;
  let tenant: TestTenant;

  beforeAll(async () => {
    // Every delivery due is hinted every 200 ms, so both workers are kept draining.
    cluster = await startProcessCluster({ HERALD_SWEEP_INTERVAL: '200ms' });
    [first, second] = await Promise.all([
      cluster.spawn('api,sequencer,worker'),
      cluster.spawn('worker'),
    ]);
    tenant = await createTenant(endpoint(first));
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  function endpoint(herald: HeraldProcess): HeraldEndpoint {
    return { baseUrl: herald.baseUrl, adminToken: TEST_ADMIN_TOKEN };
  }

  it(`holds ${DELIVERIES} deliveries to ${LIMIT} in any second for both workers together`, async () => {
    const { receiver } = cluster;
    const workers = [first.child.pid, second.child.pid];
    const senders = new Map<number | undefined, number>();
    const receiverPort = Number(new URL(receiver.url).port);
    receiver.respond = async (hook) => {
      const owner = await findSocketOwner(
        hook.remotePort,
        receiverPort,
        workers.flatMap((pid) => (pid === undefined ? [] : [pid])),
      );
      senders.set(owner, (senders.get(owner) ?? 0) + 1);
      return 204;
    };
    const subscription = await createSubscription(
      endpoint(first),
      tenant,
      receiver.url,
      ['paced.*'],
      {
        rateLimit: LIMIT,
      },
    );
    await Promise.all(
      Array.from({ length: 10 }, async (_, lane) => {
        for (let n = lane; n < DELIVERIES; n += 10)
          await request(first.baseUrl)
            .post('/v1/events')
            .set(tenant.auth)
            .send({ topic: 'paced.item', payload: { n } })
            .expect(201);
      }),
    );
    await expectEventually(() => expect(receiver.requests).toHaveLength(DELIVERIES), {
      timeoutMs: 20_000,
    });

    // Each sender is looked up while its request waits for the answer.
    const attributed = () => [...senders.values()].reduce((sum, count) => sum + count, 0);
    await expectEventually(() => expect(attributed()).toBe(DELIVERIES));
    const times = receiver.requests.map((hook) => hook.receivedAt);
    const busiest = busiestWindow(times, WINDOW_MS);
    const byWorker = workers.map((pid) => senders.get(pid) ?? 0);
    console.log(
      `rate limit, two workers: ${DELIVERIES} deliveries at ${LIMIT}/s arrived over ` +
        `${Math.max(...times) - Math.min(...times)} ms; the busiest ${WINDOW_MS} ms held ` +
        `${busiest.count}; by worker ${byWorker.join(' and ')}`,
    );
    expect(busiest.count).toBeLessThanOrEqual(LIMIT);
    // Both took part, and nothing else sent.
    for (const count of byWorker) expect(count).toBeGreaterThan(0);
    expect(senders.get(undefined)).toBeUndefined();
    for (const hook of receiver.requests) verifyWebhook(subscription.secret, hook);
    const deliveries = await listDeliveries(endpoint(first), tenant, subscription.id);
    expect(deliveries).toHaveLength(DELIVERIES);
    for (const delivery of deliveries) {
      expect(delivery.status).toBe('succeeded');
      expect(delivery.attempts).toHaveLength(1);
    }
  }, 60_000);
});
