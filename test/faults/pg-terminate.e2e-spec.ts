import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { handleDroppedConnections } from '../../src/notifications/common/postgres/handle-dropped-connections';
import { createSubscription } from '../utils/create-subscription';
import { createTenant } from '../utils/create-tenant';
import { expectEachDelivered } from '../utils/expect-each-delivered';
import { expectEventually } from '../utils/expect-eventually';
import { expectEachReadOnce } from '../utils/expect-each-read-once';
import { holdPoll, type HeldPoll } from '../utils/hold-poll';
import { pgQuery } from '../utils/pg-query';
import { readEvents } from '../utils/read-events';
import { readMetric } from '../utils/read-metric';
import { startRecordingReceiver, type RecordingReceiver } from '../utils/recording-receiver';
import { startRedisServer, type RedisServer } from '../utils/redis-server';
import { spawnHerald, type HeraldProcess } from '../utils/spawn-herald';
import { TEST_ADMIN_TOKEN, type HeraldEndpoint } from '../utils/test-app';
import { createTestDatabase, type TestDatabase } from '../utils/test-database';
import { pgPoolOf } from '../../src/notifications/common/postgres/pg-pool';

/** Events published in all; the connections are terminated after 20, 45 and 70 of them. */
const EVENTS = 120;
const TERMINATE_AFTER = [20, 45, 70];
const LANES = 8;
/** How long one publish may keep failing before the app counts as broken. */
const PUBLISH_RETRY_MS = 15_000;

describe("the app's Postgres connections terminated mid-run", () => {
  let db: TestDatabase;
  let redis: RedisServer;
  let receiver: RecordingReceiver;
  let herald: HeraldProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    // A Redis of this test's own: Bull's keys are the same in every spawned Herald.
    redis = await startRedisServer();
    receiver = await startRecordingReceiver();
  });

  afterAll(async () => {
    if (herald && herald.child.exitCode === null && herald.child.signalCode === null) {
      herald.child.kill('SIGKILL');
      await herald.exited;
    }
    await receiver?.close();
    await redis?.stop();
    await db?.drop();
  });

  it('recovers without a restart and loses nothing', async () => {
    // Every role in one process: the pool, the sequencer's lock session and the LISTEN
    // connection all die at once. Short sweeps and timeouts only bound how long recovery of an
    // attempt cut short takes here; nothing is restarted.
    const started = await spawnHerald(db.url, {
      REDIS_URL: redis.url,
      HERALD_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      HERALD_SWEEP_INTERVAL: '500ms',
      HERALD_DELIVERY_TIMEOUT: '1s',
    });
    herald = started;
    const endpoint: HeraldEndpoint = { baseUrl: started.baseUrl, adminToken: TEST_ADMIN_TOKEN };
    const tenant = await createTenant(endpoint);
    const { secret } = await createSubscription(endpoint, tenant, receiver.url, ['fault.load']);
    // Slow enough answers that attempts are in flight when the connections go.
    receiver.respond = async () => {
      await delay(20);
      return 204;
    };

    // A poll held from before the termination, for a topic published only after it: its wake-up
    // has to come through the LISTEN connection that replaced the terminated one. A poll whose
    // read meets a dying connection may answer 5xx; like HeraldClient, it polls again with the
    // same cursor (a few times, backing off), so it is still held when the event comes.
    const { nextCursor: start } = await readEvents(endpoint, tenant, {});
    let pollFailures = 0;
    /** What the failed polls answered: a lost connection is worth retrying, not a 500. */
    const failedAnswers: unknown[] = [];
    async function follow(): Promise<Awaited<HeldPoll['response']>> {
      for (;;) {
        const answer = await holdPoll(
          started.baseUrl,
          `/v1/events?after=${start}&wait=45&topics=fault.poll`,
          tenant.auth,
        ).response;
        if (answer.status < 500 || pollFailures >= 5) return answer;
        failedAnswers.push({
          status: answer.status,
          code: (answer.body as { code?: string }).code,
        });
        pollFailures += 1;
        await delay(200 * pollFailures);
      }
    }
    const polled = follow();
    polled.catch(() => undefined); // awaited below; a failure meanwhile is not unhandled
    await expectEventually(async () =>
      expect(await readMetric(started.baseUrl, 'herald_longpoll_waiters')).toBe(1),
    );

    const events = new Map<number, string>();
    let failedAttempts = 0;
    /** When the connections were last terminated (not yet: never), and publishing then recovered. */
    let terminatedAt = Infinity;
    let recoveredAt: number | undefined;
    const recoveries: number[] = [];
    /** Publishes event `n`, retrying (same idempotency key: one event) until a 201, bounded. */
    async function publish(n: number): Promise<void> {
      const deadline = Date.now() + PUBLISH_RETRY_MS;
      for (;;) {
        const sentAt = Date.now();
        const response = await request(started.baseUrl)
          .post('/v1/events')
          .set(tenant.auth)
          .set('Idempotency-Key', `pg-terminate-${n}`)
          .send({ topic: 'fault.load', payload: { n } })
          .catch((error: unknown) => error as Error);
        if (!(response instanceof Error) && response.status === 201) {
          events.set(n, response.body.id as string);
          if (sentAt > terminatedAt && recoveredAt === undefined) {
            recoveredAt = Date.now();
            recoveries.push(recoveredAt - terminatedAt);
          }
          return;
        }
        failedAttempts += 1;
        if (started.child.exitCode !== null || started.child.signalCode !== null)
          throw new Error(`Herald exited; its last output:\n${started.output().slice(-4000)}`);
        if (Date.now() > deadline) {
          const why =
            response instanceof Error ? response.message : `${response.status} ${response.text}`;
          throw new Error(`publishing ${n} still fails after ${PUBLISH_RETRY_MS} ms: ${why}`);
        }
        await delay(100);
      }
    }
    let next = 0;
    async function lane(): Promise<void> {
      while (next < EVENTS) await publish(next++);
    }
    const publishers = Promise.all(Array.from({ length: LANES }, lane));
    publishers.catch(() => undefined); // awaited below; a failure meanwhile is not unhandled

    // Several times, so some of them surely catch a transaction between two of its queries.
    let terminated = 0;
    for (const count of TERMINATE_AFTER) {
      // Raced with the publishers, which fail at once (with its output) should Herald exit.
      await Promise.race([
        expectEventually(() => expect(events.size).toBeGreaterThanOrEqual(count), {
          timeoutMs: PUBLISH_RETRY_MS,
        }),
        publishers,
      ]);
      const rows = await pgQuery<{ terminated: boolean }>(
        db.url,
        `SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      );
      terminatedAt = Date.now();
      recoveredAt = undefined;
      // The pool's connections, the sequencer's lock session and the LISTEN connection at least.
      expect(rows.filter((row) => row.terminated).length).toBeGreaterThanOrEqual(3);
      terminated += rows.length;
    }
    await publishers;
    expect(started.child.exitCode).toBeNull();

    // The held poll is woken by the first event of its topic, published after the recovery.
    const pollEvent = await request(started.baseUrl)
      .post('/v1/events')
      .set(tenant.auth)
      .send({ topic: 'fault.poll', payload: {} })
      .expect(201);
    const woken = await polled;
    for (const failed of failedAnswers)
      expect(failed).toEqual({ status: 503, code: 'database_unavailable' });
    expect(woken.status).toBe(200);
    expect(woken.body.events.map((event) => event.id)).toEqual([pollEvent.body.id]);

    // Every event that got a 201 is readable by following the cursors, exactly once.
    await expectEachReadOnce(endpoint, tenant, {
      after: start,
      topics: 'fault.load',
      expected: [...events.values()],
    });

    // And every one reached the receiver, correctly signed, at least once.
    const { requests, duplicates } = await expectEventually(
      () => expectEachDelivered(receiver.requests, events, secret),
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    await expectEventually(
      async () => {
        const rows = await pgQuery<{ status: string; count: number }>(
          db.url,
          `SELECT status, count(*)::int AS count FROM herald.deliveries GROUP BY status`,
        );
        expect(rows).toEqual([{ status: 'succeeded', count: EVENTS }]);
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    console.log(
      `pg-terminate: ${terminated} backends terminated in ${TERMINATE_AFTER.length} rounds; ` +
        `publishing worked again ${recoveries.join(', ')} ms later ` +
        `(${failedAttempts} failed publish attempts); ` +
        `${events.size} events all read once; held poll failed ${pollFailures} times; ` +
        `${requests} requests, ${duplicates} duplicate 2xx`,
    );
    expect(recoveries).toHaveLength(TERMINATE_AFTER.length);
    for (const ms of recoveries) expect(ms).toBeLessThan(5000);
    expect(started.child.exitCode).toBeNull();
  }, 60_000);

  // What the test above caught about one run in four before the fix: pg-pool takes its own
  // `error` listener off a client when it hands the client out, and TypeORM adds its own a few
  // microtasks later. A backend terminated just as its connection finished starting sends its
  // ErrorResponse in the same read as ReadyForQuery, so the error is emitted in that gap, with
  // nobody listening: an uncaught exception that ended the process. This holds a client exactly
  // as the pool hands it out, so the gap lasts as long as the test wants.
  it('survives a pool connection terminated while nobody listens to it', async () => {
    const dataSource = new DataSource(buildDataSourceOptions(db.url));
    await dataSource.initialize();
    try {
      const warn = jest.fn();
      handleDroppedConnections(dataSource, { warn });
      const pool = pgPoolOf(dataSource);
      const client = await pool.connect();
      try {
        const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        await pgQuery(db.url, 'SELECT pg_terminate_backend($1)', [rows[0].pid]);
        await expectEventually(() => expect(warn).toHaveBeenCalled());
      } finally {
        client.release(true);
      }
      // The pool serves the next query on a new connection.
      expect(await dataSource.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await dataSource.destroy();
    }
  });
});
