import request from 'supertest';
import { createSubscription } from '../utils/create-subscription';
import { createTenant } from '../utils/create-tenant';
import { expectEachDelivered } from '../utils/expect-each-delivered';
import { expectEventually } from '../utils/expect-eventually';
import { pgQuery } from '../utils/pg-query';
import { startProcessCluster, type ProcessCluster } from '../utils/process-cluster';
import type { RecordingReceiver } from '../utils/recording-receiver';
import { TEST_ADMIN_TOKEN } from '../utils/test-app';

const EVENTS = 30;
/** The per-subscription in-flight cap: the attempts in flight when SIGTERM arrives. */
const IN_FLIGHT = 10;

interface DeliveryRow {
  id: string;
  status: string;
  attempts: number;
  leased: boolean;
  due: boolean;
}

describe('SIGTERM to a worker', () => {
  let cluster: ProcessCluster;
  let receiver: RecordingReceiver;

  beforeEach(async () => {
    cluster = await startProcessCluster({ HERALD_SWEEP_INTERVAL: '500ms' });
    receiver = cluster.receiver;
  });

  afterEach(async () => {
    await cluster?.stop();
  });

  /** An api + sequencer process, a worker, a tenant subscribed to the receiver, and the events. */
  async function publishToWorker(grace: string) {
    const [api, worker] = await Promise.all([
      cluster.spawn('api,sequencer'),
      cluster.spawn('worker', { HERALD_SHUTDOWN_GRACE: grace }),
    ]);
    const herald = { baseUrl: api.baseUrl, adminToken: TEST_ADMIN_TOKEN };
    const tenant = await createTenant(herald);
    const { secret } = await createSubscription(herald, tenant, receiver.url, ['stop.*']);
    const events = new Map<number, string>();
    for (let n = 0; n < EVENTS; n++) {
      const published = await request(herald.baseUrl)
        .post('/v1/events')
        .set(tenant.auth)
        .send({ topic: 'stop.now', payload: { n } })
        .expect(201);
      events.set(n, published.body.id as string);
    }
    // The receiver holds every answer: the worker fills its slots for the subscription and waits.
    await expectEventually(() => expect(receiver.requests).toHaveLength(IN_FLIGHT), {
      timeoutMs: 15_000,
    });
    return { worker, events, secret };
  }

  function deliveries(): Promise<DeliveryRow[]> {
    return pgQuery<DeliveryRow>(
      cluster.db.url,
      `SELECT id, status, attempts, coalesce(lease_until > now(), false) AS leased,
              next_attempt_at <= now() AS due
       FROM herald.deliveries ORDER BY id`,
    );
  }

  it('lets attempts in flight finish, takes no new work, and exits 0', async () => {
    let answer: (status: number) => void = () => undefined;
    const answered = new Promise<number>((resolve) => (answer = resolve));
    receiver.respond = () => answered;
    const { worker } = await publishToWorker('20s');

    worker.child.kill('SIGTERM');
    // Still running: it waits for the answers it is owed.
    await expectEventually(() => expect(worker.output()).toMatch(/shutting down|SIGTERM/i));
    answer(204);
    expect(await worker.exited).toBe(0);

    expect(receiver.requests).toHaveLength(IN_FLIGHT);
    const rows = await deliveries();
    expect(rows).toHaveLength(EVENTS);
    expect(rows.filter((row) => row.leased)).toEqual([]);
    const succeeded = rows.filter((row) => row.status === 'succeeded');
    expect(succeeded).toHaveLength(IN_FLIGHT);
    for (const row of succeeded) expect(row.attempts).toBe(1);
    // The rest were never claimed: no attempt was begun and left behind.
    for (const row of rows.filter((r) => r.status !== 'succeeded'))
      expect(row).toMatchObject({ status: 'pending', attempts: 0 });
  }, 60_000);

  it('records attempts still running after the grace period as interrupted; the next worker sends them', async () => {
    let hang = true;
    receiver.respond = () => (hang ? new Promise<number>(() => undefined) : 204);
    const { worker, events, secret } = await publishToWorker('500ms');

    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);

    const rows = await deliveries();
    expect(rows.filter((row) => row.leased)).toEqual([]);
    const interrupted = rows.filter((row) => row.attempts === 1);
    expect(interrupted).toHaveLength(IN_FLIGHT);
    for (const row of interrupted) expect(row).toMatchObject({ status: 'pending', due: true });
    const attempts = await pgQuery<{ error: string | null; status_code: number | null }>(
      cluster.db.url,
      `SELECT error, status_code FROM herald.delivery_attempts`,
    );
    expect(attempts).toHaveLength(IN_FLIGHT);
    for (const attempt of attempts)
      expect(attempt).toMatchObject({
        status_code: null,
        error: expect.stringMatching(/interrupted/),
      });

    hang = false;
    await cluster.spawn('worker');
    await expectEventually(() => expectEachDelivered(receiver.requests, events, secret), {
      timeoutMs: 20_000,
      intervalMs: 200,
    });
    await expectEventually(async () => {
      const after = await deliveries();
      expect(after.filter((row) => row.status !== 'succeeded')).toEqual([]);
      // The interrupted attempts were made again: the first is on record, the second succeeded.
      for (const row of after.filter((r) => interrupted.some((i) => i.id === r.id)))
        expect(row.attempts).toBe(2);
    });
  }, 60_000);
});
