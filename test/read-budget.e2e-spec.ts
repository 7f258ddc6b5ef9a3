import request from 'supertest';
import { NotificationPublisher } from '../src/notifications';
import { HeldPollLimiter } from '../src/notifications/limits/held-poll-limiter';
import { createTenant, type TestTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { holdPoll } from './utils/hold-poll';
import { openEventStream } from './utils/open-event-stream';
import { publishAndSequence } from './utils/publish-event';
import { readEvents, type EventPage } from './utils/read-events';
import { sendEvent } from './utils/send-event';
import { useTestApp } from './utils/use-test-app';

const KiB = 1024;
const MiB = 1024 * KiB;

/** A payload of exactly `bytes` serialized, numbered so that each event is told apart. */
function payloadOfBytes(n: number, bytes: number): { n: number; data: string } {
  const envelope = JSON.stringify({ n, data: '' }).length;
  return { n, data: 'x'.repeat(bytes - envelope) };
}

/** `GET /v1/events` without waiting, with the answer's size in bytes as it came over the wire. */
async function readPage(
  baseUrl: string,
  tenant: TestTenant,
  after: string,
): Promise<{ page: EventPage; bytes: number }> {
  const response = await request(baseUrl)
    .get('/v1/events')
    .query({ after, wait: 0, limit: 1000 })
    .set(tenant.auth)
    .expect(200);
  return { page: response.body as EventPage, bytes: Buffer.byteLength(response.text) };
}

describe('a page of events stops at the byte budget', () => {
  describe('with the default budget (1 MiB)', () => {
    const { herald } = useTestApp();

    it('reads 40 events of 256 KiB in pages within the budget, each event once and in order', async () => {
      const [attacker, victim] = [await createTenant(herald), await createTenant(herald)];
      const published: string[] = [];
      for (let n = 0; n < 40; n++) {
        published.push(await sendEvent(herald, attacker, 'big.item', payloadOfBytes(n, 256 * KiB)));
      }
      const victimEvent = await publishAndSequence(herald, victim, 'small.item', { n: 1 });
      // The attacker's last event is sequenced too: the victim's came after it.

      const read: { id: string; cursor: string; n: unknown }[] = [];
      const sizes: number[] = [];
      let cursor = '0';
      for (let pages = 0; read.length < published.length && pages < 40; pages++) {
        const { page, bytes } = await readPage(herald.baseUrl, attacker, cursor);
        expect(page.events.length).toBeGreaterThan(0);
        sizes.push(bytes);
        read.push(...page.events.map((e) => ({ id: e.id, cursor: e.cursor, n: e.payload.n })));
        expect(page.nextCursor).toBe(page.events.at(-1)?.cursor);
        cursor = page.nextCursor;
      }

      // Three events of 256 KiB fit in 1 MiB, a fourth would not: 14 pages, none over the budget.
      for (const size of sizes) expect(size).toBeLessThanOrEqual(MiB);
      expect(sizes).toHaveLength(14);
      expect(read.map((e) => e.id)).toEqual(published);
      expect(read.map((e) => e.n)).toEqual(published.map((_, n) => n));
      const cursors = read.map((e) => BigInt(e.cursor));
      for (let i = 1; i < cursors.length; i++) expect(cursors[i]).toBeGreaterThan(cursors[i - 1]);
      // Nothing after the last one.
      expect((await readPage(herald.baseUrl, attacker, cursor)).page.events).toEqual([]);

      // The victim reads its own event in one small page.
      const victimPage = await readEvents(herald, victim, { after: 0 });
      expect(victimPage.events.map((e) => e.id)).toEqual([victimEvent.id]);
    }, 60_000);
  });

  describe('with a budget smaller than an event (64 KiB)', () => {
    const { herald } = useTestApp({ env: { HERALD_MAX_PAGE_BYTES: '64KiB' } });

    it('answers an event larger than the budget alone, then continues after it', async () => {
      const tenant = await createTenant(herald);
      const big = await sendEvent(herald, tenant, 'big.item', payloadOfBytes(0, 200 * KiB));
      const small = [
        await sendEvent(herald, tenant, 'small.item', { n: 1 }),
        await publishAndSequence(herald, tenant, 'small.item', { n: 2 }).then((e) => e.id),
      ];

      const first = await readPage(herald.baseUrl, tenant, '0');
      expect(first.page.events.map((e) => e.id)).toEqual([big]);
      expect(first.bytes).toBeGreaterThan(200 * KiB);
      const second = await readPage(herald.baseUrl, tenant, first.page.nextCursor);
      expect(second.page.events.map((e) => e.id)).toEqual(small);
    });

    it('cuts a woken poll at the budget too, and the stream sends every event', async () => {
      const tenant = await createTenant(herald);
      const { nextCursor } = await readEvents(herald, tenant, {});
      const stream = openEventStream(herald.baseUrl, `/v1/events/stream?after=${nextCursor}`, {
        ...tenant.auth,
      });
      expect((await stream.response).status).toBe(200);
      const held = holdPoll(herald.baseUrl, `/v1/events?after=${nextCursor}&wait=20`, tenant.auth);
      const limiter = herald.app.get(HeldPollLimiter, { strict: false });
      await expectEventually(() => expect(limiter.heldBy(tenant.tenantId)).toBe(2));

      // Three events of 40 KiB in one transaction: one sequencer batch, one wake-up.
      const ids = await herald.dataSource.transaction(async (manager) => {
        const publisher = herald.app.get(NotificationPublisher, { strict: false });
        const published: string[] = [];
        for (let n = 0; n < 3; n++) {
          const event = await publisher.publish(
            { tenantId: tenant.tenantId, topic: 'mid.item', payload: payloadOfBytes(n, 40 * KiB) },
            { manager },
          );
          published.push(event.id);
        }
        return published;
      });

      const woken = await held.response;
      expect(woken.status).toBe(200);
      expect(woken.body.events.map((e) => e.id)).toEqual(ids.slice(0, 1));
      const rest = await readEvents(herald, tenant, { after: woken.body.nextCursor });
      expect(rest.events.map((e) => e.id)).toEqual(ids.slice(1, 2));

      await expectEventually(() => expect(stream.events).toHaveLength(3));
      expect(stream.events.map((e) => e.data.id)).toEqual(ids);
      stream.close();
      await stream.ended;
    });
  });
});
