import request from 'supertest';
import { createTenant, type TestTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { holdIdempotencyKey } from './utils/hold-idempotency-key';
import type { HeldTransaction } from './utils/hold-transaction';
import { openEventStream, type EventStreamReader } from './utils/open-event-stream';
import { publishAndSequence } from './utils/publish-event';
import { readEvents } from './utils/read-events';
import { spawnHerald, type HeraldProcess } from './utils/spawn-herald';
import { TEST_ADMIN_TOKEN, type HeraldEndpoint } from './utils/test-app';
import { createTestDatabase, type TestDatabase } from './utils/test-database';
import { within } from './utils/within';

/** How a publish sent over HTTP ended: an answer, or a connection that failed without one. */
type PublishOutcome =
  { status: number; body: { id?: string; code?: string; message?: string } } | { error: Error };

// No worker: these processes share the test Redis with other specs' processes, and must not take
// their delivery jobs. Publishing and streaming need Postgres only.
const ROLES = { HERALD_ROLES: 'api,sequencer' };

describe('SIGTERM with an event stream open and a publish in flight', () => {
  let db: TestDatabase;
  const processes: HeraldProcess[] = [];
  const streams: EventStreamReader[] = [];
  let held: HeldTransaction | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await held?.release();
    held = undefined;
    for (const herald of processes.splice(0)) {
      if (herald.child.exitCode === null && herald.child.signalCode === null) {
        herald.child.kill('SIGKILL');
        await herald.exited;
      }
    }
  });

  afterAll(async () => {
    await db?.drop();
  });

  async function spawn(): Promise<HeraldProcess & HeraldEndpoint> {
    const herald = await spawnHerald(db.url, ROLES);
    processes.push(herald);
    return Object.assign(herald, { adminToken: TEST_ADMIN_TOKEN });
  }

  function stream(herald: HeraldEndpoint, tenant: TestTenant, after: string, lastEventId?: string) {
    const reader = openEventStream(herald.baseUrl, `/v1/events/stream?after=${after}`, {
      ...tenant.auth,
      ...(lastEventId === undefined ? {} : { 'Last-Event-ID': lastEventId }),
    });
    streams.push(reader);
    return reader;
  }

  function publish(herald: HeraldEndpoint, tenant: TestTenant, key: string) {
    return new Promise<PublishOutcome>((resolve) => {
      request(herald.baseUrl)
        .post('/v1/events')
        .set(tenant.auth)
        .set('Idempotency-Key', key)
        .send({ topic: 'order.held', payload: { key } })
        .then(
          (response) => resolve({ status: response.status, body: response.body }),
          (error: Error) => resolve({ error }),
        );
    });
  }

  it('ends the stream cleanly, settles the publish, exits 0, and the stream resumes on another instance without loss or repeat', async () => {
    const first = await spawn();
    const second = await spawn();
    const tenant = await createTenant(first);
    const { nextCursor: start } = await readEvents(first, tenant, {});
    const before = [
      await publishAndSequence(first, tenant, 'order.created'),
      await publishAndSequence(first, tenant, 'order.paid'),
    ];
    const original = stream(first, tenant, start);
    expect((await original.response).status).toBe(200);
    await expectEventually(() => expect(original.events).toHaveLength(2));

    // The publish in flight: its insert waits on a row with its key that the test holds open.
    held = await holdIdempotencyKey(db.url, tenant.tenantId, 'in-flight');
    const inFlight = publish(first, tenant, 'in-flight');
    await expectEventually(async () => expect(await held?.waiting()).toBe(1));

    first.child.kill('SIGTERM');
    // The stream ends while the publish still waits: the server ends the response, between frames.
    expect(await within(original.ended, 10_000, 'the stream ending')).toEqual({
      complete: true,
      partial: '',
      error: undefined,
    });
    expect(await held.waiting()).toBe(1);
    await held.release();
    const outcome = await within(inFlight, 10_000, 'the publish in flight settling');
    expect(await within(first.exited, 15_000, 'the process exiting')).toBe(0);

    // Either it committed (201) or it failed with an answer that says why; never a dropped socket.
    expect(outcome).not.toHaveProperty('error');
    if (!('status' in outcome)) throw new Error('unreachable');
    const committed = outcome.status === 201;
    if (!committed) {
      expect(outcome.status).toBeGreaterThanOrEqual(500);
      expect(outcome.body).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    }
    // A client that retries the key on another instance gets the one event, committed or not yet.
    const retried = await publish(second, tenant, 'in-flight');
    expect(retried).toMatchObject({ status: 201 });
    if (!('status' in retried) || retried.body.id === undefined) throw new Error('no event id');
    if (committed) expect(retried.body.id).toBe(outcome.body.id);

    // The client reconnects to another instance with the last id it saw.
    const resumed = stream(second, tenant, start, original.events.at(-1)?.id);
    expect((await resumed.response).status).toBe(200);
    const last = await publishAndSequence(second, tenant, 'order.shipped');
    await expectEventually(() => expect(resumed.events.at(-1)?.data.id).toBe(last.id), {
      timeoutMs: 15_000,
    });

    const expected = [...before.map((event) => event.id), retried.body.id, last.id];
    expect([...original.events, ...resumed.events].map((event) => event.data.id)).toEqual(expected);
    // The log agrees: nothing else was sequenced for the tenant, and nothing twice.
    const log = await readEvents(second, tenant, { after: start });
    expect(log.events.map((event) => event.id)).toEqual(expected);
  }, 90_000);
});
