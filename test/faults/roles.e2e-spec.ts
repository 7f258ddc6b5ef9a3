import { once } from 'node:events';
import request from 'supertest';
import { SEQUENCER_LOCK_KEY } from '../../src/notifications/notifications.constants';
import { createSubscription } from '../utils/create-subscription';
import { createTenant, type TestTenant } from '../utils/create-tenant';
import { expectEachDelivered } from '../utils/expect-each-delivered';
import { expectEventually } from '../utils/expect-eventually';
import { expectEachReadOnce } from '../utils/expect-each-read-once';
import { findSocketOwner } from '../utils/find-socket-owner';
import { holdPoll } from '../utils/hold-poll';
import { pgQuery } from '../utils/pg-query';
import { readEvents } from '../utils/read-events';
import { readMetric } from '../utils/read-metric';
import { startProcessCluster, type ProcessCluster } from '../utils/process-cluster';
import type { RecordingReceiver } from '../utils/recording-receiver';
import type { HeraldProcess } from '../utils/spawn-herald';
import { TEST_ADMIN_TOKEN, type HeraldEndpoint } from '../utils/test-app';
import type { TestDatabase } from '../utils/test-database';

const DELIVERIES = 200;
const PG_PORT = 5432;
/** Wake-ups measured, one after another: the median of them is held to the bound. */
const WAKES = 5;

// The backend that holds the sequencer's session advisory lock (a key of two int4 halves shows
// as classid, objid and objsubid 2), and the client port of its connection.
const LOCK_HOLDER = `
  SELECT a.client_port FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
  WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::oid AND l.objid = $2::oid
    AND l.objsubid = 2 AND a.datname = current_database()`;

/**
 * Three processes on one Postgres and one Redis (the test's own), with every role twice:
 *
 * - `api,sequencer`: polled on; a sequencer standby (it starts after `sequencer,worker` took the lock)
 * - `sequencer,worker`: the active sequencer and a worker; the one killed, so its standby is in
 *   another process and both api instances survive the kill
 * - `api,worker`: published to; the second worker
 *
 * Which process did something is read from the operating system, not from logs or test-only
 * headers: the TCP connection a webhook came in on, or the Postgres session holding the lock,
 * belongs to exactly one process (`findSocketOwner`).
 */
describe('roles split over three processes', () => {
  let cluster: ProcessCluster;
  let db: TestDatabase;
  let receiver: RecordingReceiver;
  let pollSide: HeraldProcess;
  let sequencerSide: HeraldProcess;
  let publishSide: HeraldProcess;
  let tenant: TestTenant;

  beforeAll(async () => {
    cluster = await startProcessCluster();
    ({ db, receiver } = cluster);
    // Started alone first, so the lock is its own by construction (checked below, from pg_locks).
    sequencerSide = await cluster.spawn('sequencer,worker');
    await expectEventually(async () => expect(await lockOwner()).toBe(sequencerSide.child.pid));
    [pollSide, publishSide] = await Promise.all([
      cluster.spawn('api,sequencer'),
      cluster.spawn('api,worker'),
    ]);
    tenant = await createTenant(endpoint(pollSide));
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  function endpoint(herald: HeraldProcess): HeraldEndpoint {
    return { baseUrl: herald.baseUrl, adminToken: TEST_ADMIN_TOKEN };
  }

  function pids(): number[] {
    return cluster.processes.flatMap((herald) =>
      herald.child.pid === undefined ? [] : [herald.child.pid],
    );
  }

  /** The pid of the process whose Postgres session holds the sequencer lock, if any does. */
  async function lockOwner(): Promise<number | undefined> {
    const [holder] = await pgQuery<{ client_port: number }>(db.url, LOCK_HOLDER, [
      ...SEQUENCER_LOCK_KEY,
    ]);
    return holder ? findSocketOwner(holder.client_port, PG_PORT, pids()) : undefined;
  }

  async function publish(topic: string, payload: Record<string, unknown>): Promise<string> {
    const published = await request(publishSide.baseUrl)
      .post('/v1/events')
      .set(tenant.auth)
      .send({ topic, payload })
      .expect(201);
    return published.body.id as string;
  }

  it('wakes a poll held on one instance by a publish on another, typically within 1 s', async () => {
    // A wake-up crosses two LISTENs: the sequencer's (woken by the publish) and the polled
    // instance's (woken by the stamp). Without them it would come from the sequencer's 2 s poll
    // or the listener's 5 s recheck, at any moment up to those. One wake-up slowed by a busy
    // machine says nothing; the median of five being over 1 s would.
    let { nextCursor } = await readEvents(endpoint(pollSide), tenant, {});
    const wakeMs: number[] = [];
    for (let n = 0; n < WAKES; n++) {
      const held = holdPoll(
        pollSide.baseUrl,
        `/v1/events?after=${nextCursor}&wait=20&topics=roles.wake`,
        tenant.auth,
      );
      await expectEventually(async () =>
        expect(await readMetric(pollSide.baseUrl, 'herald_longpoll_waiters')).toBe(1),
      );
      const id = await publish('roles.wake', { n });
      const publishedAt = Date.now();
      const woken = await held.response;
      wakeMs.push(Date.now() - publishedAt);
      expect(woken.status).toBe(200);
      expect(woken.body.events.map((event) => event.id)).toEqual([id]);
      nextCursor = woken.body.nextCursor;
    }
    const median = [...wakeMs].sort((a, b) => a - b)[Math.floor(WAKES / 2)];
    console.log(
      `roles: polls on another instance woken ${wakeMs.join(', ')} ms after the publish ` +
        `answered (median ${median} ms)`,
    );
    expect(median).toBeLessThan(1000);
  });

  it('spreads deliveries over both workers', async () => {
    // Which worker process sent each request, looked up while its connection is surely open
    // (it waits for this answer); the short wait keeps attempts overlapping, as under real load.
    const senders = new Map<number, number>();
    let unknown = 0;
    const receiverPort = Number(new URL(receiver.url).port);
    receiver.respond = async (hook) => {
      const owner = await findSocketOwner(hook.remotePort, receiverPort, pids());
      if (owner === undefined) unknown += 1;
      else senders.set(owner, (senders.get(owner) ?? 0) + 1);
      return 204;
    };
    const { secret } = await createSubscription(endpoint(pollSide), tenant, receiver.url, [
      'roles.deliver',
    ]);
    const events = new Map<number, string>();
    await Promise.all(
      Array.from({ length: 10 }, async (_, lane) => {
        for (let n = lane; n < DELIVERIES; n += 10)
          events.set(n, await publish('roles.deliver', { n }));
      }),
    );
    const { requests, duplicates } = await expectEventually(
      () => expectEachDelivered(receiver.requests, events, secret),
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    const workers = [sequencerSide.child.pid, publishSide.child.pid];
    const byWorker = workers.map((pid) => senders.get(pid ?? -1) ?? 0);
    console.log(
      `roles: ${requests} requests (${duplicates} duplicate 2xx) for ${DELIVERIES} deliveries; ` +
        `by worker: ${byWorker.join(' and ')}; unattributed: ${unknown}`,
    );
    expect(unknown).toBe(0);
    // Only the two worker processes sent anything, and each sent some.
    expect([...senders.keys()].sort()).toEqual([...workers].sort());
    for (const count of byWorker) expect(count).toBeGreaterThan(0);
  }, 45_000);

  it('hands the sequencer over to the standby within 5 s of a SIGKILL, skipping no event', async () => {
    expect(await lockOwner()).toBe(sequencerSide.child.pid);
    const { nextCursor: start } = await readEvents(endpoint(pollSide), tenant, {});

    // Publishers keep going across the kill, so the dead sequencer leaves events unstamped (or a
    // batch half done, rolled back) for its successor.
    const published: string[] = [];
    let publishing = true;
    const publishers = Promise.all(
      Array.from({ length: 4 }, async (_, lane) => {
        for (let n = lane; publishing; n += 4)
          published.push(await publish('roles.handover', { n }));
      }),
    );
    publishers.catch(() => undefined); // awaited below; a failure meanwhile is not unhandled
    await expectEventually(() => expect(published.length).toBeGreaterThanOrEqual(40));

    sequencerSide.child.kill('SIGKILL');
    await once(sequencerSide.child, 'exit');
    const killedAt = Date.now();
    // Nothing advances the head until the standby has the lock: a poll past it waits for that.
    const [{ last_position: head }] = await pgQuery<{ last_position: string }>(
      db.url,
      'SELECT last_position FROM herald.sequencer_state WHERE id = 1',
    );
    const held = holdPoll(
      pollSide.baseUrl,
      `/v1/events?after=${head}&wait=20&topics=roles.handover`,
      tenant.auth,
    );
    // The hand-over itself: the standby's session holds the lock. Postgres lets the dead
    // session's go at once, and the standby tries for it every second.
    await expectEventually(async () => expect(await lockOwner()).toBe(pollSide.child.pid), {
      timeoutMs: 20_000,
      intervalMs: 50,
    });
    const lockTakenMs = Date.now() - killedAt;
    // And its first work as the sequencer: stamping what was published meanwhile, which wakes a
    // poll held past the old head (within the poll's wait; with nothing stamped it answers empty).
    const woken = await held.response;
    const handoverMs = Date.now() - killedAt;
    expect(woken.status).toBe(200);
    expect(woken.body.events.length).toBeGreaterThan(0);
    const publishedBeforeTakeover = published.length;
    await expectEventually(() =>
      expect(published.length).toBeGreaterThanOrEqual(publishedBeforeTakeover + 40),
    );
    publishing = false;
    await publishers;

    // Following the cursors from before the first of them reads every event exactly once.
    await expectEachReadOnce(
      endpoint(pollSide),
      tenant,
      { after: start, topics: 'roles.handover', expected: published },
      10_000,
    );
    // And the positions of all the run's events are 1..n: none skipped, none given twice.
    const [positions] = await pgQuery<{
      events: number;
      stamped: number;
      distinct: number;
      max: string;
    }>(
      db.url,
      `SELECT count(*)::int AS events, count(position)::int AS stamped,
              count(DISTINCT position)::int AS distinct, coalesce(max(position), 0)::text AS max
       FROM herald.events`,
    );
    expect(positions).toEqual({
      events: positions.events,
      stamped: positions.events,
      distinct: positions.events,
      max: String(positions.events),
    });
    console.log(
      `roles: standby took the lock ${lockTakenMs} ms and answered a held poll ${handoverMs} ms ` +
        `after the SIGKILL; ${published.length} events published across it, all read once, ` +
        `positions 1..${positions.max}`,
    );
    expect(lockTakenMs).toBeLessThan(5000);
  }, 45_000);
});
