import { Client } from 'pg';
import request from 'supertest';
import { createTenant, type TestTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { holdPoll } from './utils/hold-poll';
import { pgQuery } from './utils/pg-query';
import { readEvents } from './utils/read-events';
import { readMetric } from './utils/read-metric';
import { scrapeMetrics } from './utils/scrape-metrics';
import type { TestApp } from './utils/test-app';
import { useTestApp } from './utils/use-test-app';

/** Reads of the log by polls and streams, as Herald counts them. */
async function pageReads(herald: TestApp): Promise<number> {
  const value = (await scrapeMetrics(herald.baseUrl)).value('herald_longpoll_reads_total', {
    read: 'page',
  });
  if (value === undefined) throw new Error('no herald_longpoll_reads_total{read="page"}');
  return value;
}

function publisher(herald: TestApp) {
  return (tenant: TestTenant, topic: string, payload = {}) =>
    request(herald.baseUrl)
      .post('/v1/events')
      .set(tenant.auth)
      .send({ topic, payload })
      .expect(201)
      .then((response) => response.body as { id: string });
}

describe('long poll at the known head', () => {
  const { herald } = useTestApp({ env: { HERALD_LONGPOLL_MAX_WAIT: '20s' } });

  const poll = (tenant: TestTenant, query: string) =>
    holdPoll(herald.baseUrl, `/v1/events?${query}`, tenant.auth);
  const waiters = () => readMetric(herald.baseUrl, 'herald_longpoll_waiters');

  /** Holds `count` polls at `cursor` and waits until all of them are registered. */
  async function holdAt(tenant: TestTenant, cursor: string, count: number) {
    const base = await waiters();
    const held = Array.from({ length: count }, () => poll(tenant, `after=${cursor}&wait=20`));
    await expectEventually(async () => expect(await waiters()).toBe(base + count));
    return held;
  }

  it('holds K re-polls at the new head after a wake-up without reading the log', async () => {
    const tenant = await createTenant(herald);
    const publish = publisher(herald);
    const { nextCursor } = await readEvents(herald, tenant, {});
    const first = await holdAt(tenant, nextCursor, 50);
    const woke = await publish(tenant, 'head.first');
    const firstAnswers = await Promise.all(first.map((held) => held.response));
    expect(new Set(firstAnswers.map(({ body }) => body.events[0]?.id))).toEqual(new Set([woke.id]));
    const head = firstAnswers[0].body.nextCursor;

    const readsBefore = await pageReads(herald);
    const again = await holdAt(tenant, head, 50);
    expect(await pageReads(herald)).toBe(readsBefore);
    const next = await publish(tenant, 'head.second');
    const answers = await Promise.all(again.map((held) => held.response));

    for (const { status, body } of answers) {
      expect(status).toBe(200);
      expect(body.events.map((event) => event.id)).toEqual([next.id]);
      expect(body.nextCursor).toBe(body.events[0].cursor);
    }
    expect(await pageReads(herald)).toBe(readsBefore);
  }, 30000);

  it('still reads the log for a cursor behind or ahead of the known head', async () => {
    const tenant = await createTenant(herald);
    const publish = publisher(herald);
    const { nextCursor: start } = await readEvents(herald, tenant, {});
    const held = poll(tenant, `after=${start}&wait=20`);
    await expectEventually(async () => expect(await waiters()).toBeGreaterThanOrEqual(1));
    const event = await publish(tenant, 'head.behind');
    const head = (await held.response).body.nextCursor;

    const behind = await poll(tenant, `after=${start}&wait=20`).response;
    expect(behind.body.events.map((e) => e.id)).toEqual([event.id]);
    const ahead = await request(herald.baseUrl)
      .get(`/v1/events?after=${BigInt(head) + 1000n}&wait=1`)
      .set(tenant.auth)
      .expect(400);
    expect(ahead.body.code).toBe('invalid_cursor');
  }, 30000);

  it('loses no wake-up when a publish races a re-poll at the head', async () => {
    const tenant = await createTenant(herald);
    const bystander = await createTenant(herald);
    const publish = publisher(herald);
    // Another tenant's waiter: the listener reads each new head for it too.
    const { nextCursor: bystanderCursor } = await readEvents(herald, bystander, {});
    const watching = poll(bystander, `after=${bystanderCursor}&wait=20`);
    try {
      let { nextCursor: cursor } = await readEvents(herald, tenant, {});
      for (let i = 0; i < 40; i++) {
        // Either order, without waiting for the poll to be held: the two race on the server.
        const held = i % 2 === 0 ? poll(tenant, `after=${cursor}&wait=10`) : undefined;
        const publishing = publish(tenant, 'head.race', { i });
        const answer = await (held ?? poll(tenant, `after=${cursor}&wait=10`)).response;
        const published = await publishing;
        expect(answer.body.events.map((event) => event.id)).toEqual([published.id]);
        cursor = answer.body.nextCursor;
      }
    } finally {
      watching.abort();
    }
  }, 60000);
});

describe('long poll at the known head while the listener reads for other tenants', () => {
  // Nothing stamps positions but the spec, and the listener learns of them only by NOTIFY.
  const { herald, db } = useTestApp({
    env: { HERALD_ROLES: 'api', HERALD_LONGPOLL_MAX_WAIT: '20s' },
    notifications: { longPollRecheckInterval: 3_600_000 },
  });

  const poll = (tenant: TestTenant, query: string) =>
    holdPoll(herald.baseUrl, `/v1/events?${query}`, tenant.auth);
  const waiters = () => readMetric(herald.baseUrl, 'herald_longpoll_waiters');

  /** Stamps the unsequenced events as the sequencer would; returns the new head. */
  async function stamp(): Promise<bigint> {
    const [row] = await pgQuery<{ head: string }>(
      db.url,
      `WITH state AS (SELECT last_position FROM herald.sequencer_state WHERE id = 1 FOR UPDATE),
       stamped AS (
         UPDATE herald.events e SET position = state.last_position + b.rn, sequenced_at = now()
         FROM state, (SELECT id, row_number() OVER (ORDER BY created_at, id) AS rn
                      FROM herald.events WHERE position IS NULL) b
         WHERE e.id = b.id RETURNING e.position)
       UPDATE herald.sequencer_state SET last_position = (SELECT max(position) FROM stamped)
       WHERE id = 1 RETURNING last_position AS head`,
    );
    return BigInt(row.head);
  }

  const notify = (head: bigint) =>
    pgQuery(db.url, `SELECT pg_notify('herald_sequenced', $1)`, [
      JSON.stringify({ head: head.toString() }),
    ]);

  it('reads the log rather than wait for a batch that passes its tenant by', async () => {
    const tenant = await createTenant(herald);
    const bystander = await createTenant(herald);
    const publish = publisher(herald);

    // One wake-up of the bystander: the listener is connected and has handed over `head`.
    const { nextCursor: start } = await readEvents(herald, bystander, {});
    const first = poll(bystander, `after=${start}&wait=20`);
    await expectEventually(async () => expect(await waiters()).toBe(1));
    await publish(bystander, 'bystander.first');
    await notify(await stamp());
    const head = (await first.response).body.nextCursor;

    const watching = poll(bystander, `after=${head}&wait=20`);
    const locker = new Client({ connectionString: db.url });
    await locker.connect();
    try {
      await expectEventually(async () => expect(await waiters()).toBe(1));
      const event = await publish(tenant, 'head.during.batch');
      const newHead = await stamp();
      // The listener's read of (head, newHead], for the bystander only, waits on the lock.
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE herald.events IN ACCESS EXCLUSIVE MODE');
      await notify(newHead);
      await expectEventually(async () => {
        const [blocked] = await pgQuery<{ n: number }>(
          db.url,
          `SELECT count(*)::int AS n FROM pg_locks
           WHERE NOT granted AND relation = 'herald.events'::regclass`,
        );
        expect(blocked.n).toBeGreaterThanOrEqual(1);
      });
      // A poll at the head the listener has handed over, for a tenant that batch leaves out.
      const held = poll(tenant, `after=${head}&wait=5`);
      await expectEventually(async () => expect(await waiters()).toBe(2));
      await locker.query('ROLLBACK');

      const { body } = await held.response;
      expect(body.events.map((e) => e.id)).toEqual([event.id]);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
      watching.abort();
    }
  }, 30000);
});
