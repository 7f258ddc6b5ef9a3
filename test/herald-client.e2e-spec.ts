import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HeraldClient, HeraldClientError, type HeraldEvent } from 'nestjs-herald/client';
import { followOrders } from '../examples/client/follow-events';
import { RetentionService } from '../src/notifications/sequencer/retention.service';
import { sendEvent } from './utils/send-event';
import { createTenant, type TestTenant } from './utils/create-tenant';
import { pgQuery } from './utils/pg-query';
import { publishAndSequence } from './utils/publish-event';
import { readEvents } from './utils/read-events';
import { useTestApp } from './utils/use-test-app';

describe('HeraldClient', () => {
  const { herald, db } = useTestApp();

  const publish = (tenant: TestTenant, topic: string, payload: Record<string, unknown> = {}) =>
    sendEvent(herald, tenant, topic, payload);

  /** Collects `count` events from an iterator, then stops it. */
  async function take(events: AsyncGenerator<HeraldEvent>, count: number): Promise<HeraldEvent[]> {
    const seen: HeraldEvent[] = [];
    for await (const event of events) {
      seen.push(event);
      if (seen.length === count) break;
    }
    return seen;
  }

  it('follows cursors: every event once, in order, across polls', async () => {
    const tenant = await createTenant(herald);
    const start = (await readEvents(herald, tenant, {})).nextCursor;
    const client = new HeraldClient({
      baseUrl: herald.baseUrl,
      apiKey: tenant.apiKey,
      after: start,
      wait: 5,
      limit: 2,
    });
    const collecting = take(client.events(), 5);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await publish(tenant, 'client.item', { i }));
    const seen = await collecting;
    expect(seen.map((event) => event.id)).toEqual(ids);
    expect(client.cursor).toBe(seen[4].cursor);
  });

  it('retries network errors, 503 and 429 with backoff and loses nothing', async () => {
    const tenant = await createTenant(herald);
    const start = (await readEvents(herald, tenant, {})).nextCursor;
    const event = await publishAndSequence(herald, tenant, 'after.faults');
    const failures = [
      () => Promise.reject(new TypeError('fetch failed')),
      () => Promise.resolve(new Response('{}', { status: 503 })),
      () => Promise.resolve(new Response('{}', { status: 429, headers: { 'retry-after': '0' } })),
    ];
    const calls: string[] = [];
    const flaky: typeof fetch = (input, init) => {
      calls.push(input instanceof Request ? input.url : input.toString());
      const fail = failures.shift();
      return fail ? fail() : fetch(input, init);
    };
    const client = new HeraldClient({
      baseUrl: herald.baseUrl,
      apiKey: tenant.apiKey,
      after: start,
      fetch: flaky,
      retryInitialMs: 10,
    });
    const [seen] = await take(client.events(), 1);
    expect(seen.id).toBe(event.id);
    expect(calls.length).toBe(4);
    expect(new Set(calls).size).toBe(1); // every retry asked for the same cursor
  });

  it('on 410 resumes from the oldest retained cursor, telling the caller', async () => {
    const tenant = await createTenant(herald);
    const old = await publishAndSequence(herald, tenant, 'will.expire');
    const kept = await publishAndSequence(herald, tenant, 'kept.event');
    await pgQuery(
      db.url,
      `UPDATE herald.events SET sequenced_at = sequenced_at - interval '8 days' WHERE position <= $1`,
      [old.cursor],
    );
    await herald.app.get(RetentionService).prune();
    const expired: string[] = [];
    const client = new HeraldClient({
      baseUrl: herald.baseUrl,
      apiKey: tenant.apiKey,
      after: String(BigInt(old.cursor) - 1n),
      onCursorExpired: (oldest) => {
        expired.push(oldest);
        return 'resume';
      },
    });
    const [seen] = await take(client.events(), 1);
    expect(expired).toEqual([old.cursor]);
    expect(seen.id).toBe(kept.id);

    const strict = new HeraldClient({
      baseUrl: herald.baseUrl,
      apiKey: tenant.apiKey,
      after: String(BigInt(old.cursor) - 1n),
      onCursorExpired: () => 'throw',
    });
    await expect(take(strict.events(), 1)).rejects.toMatchObject({
      status: 410,
      code: 'cursor_expired',
    });
  });

  it('stops on a permanent error such as a revoked key', async () => {
    const client = new HeraldClient({ baseUrl: herald.baseUrl, apiKey: `hk_${'x'.repeat(43)}` });
    const failure = take(client.events(), 1);
    await expect(failure).rejects.toBeInstanceOf(HeraldClientError);
    await expect(failure).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
  });

  it('runs the README example', async () => {
    const tenant = await createTenant(herald);
    const abort = new AbortController();
    const handled: string[] = [];
    const start = (await readEvents(herald, tenant, {})).nextCursor;
    const following = followOrders(
      herald.baseUrl,
      tenant.apiKey,
      start,
      (event) => {
        handled.push(event.topic);
        if (handled.length === 2) abort.abort();
        return Promise.resolve();
      },
      abort.signal,
    );
    await publish(tenant, 'invoice.paid');
    await publish(tenant, 'order.created');
    await publish(tenant, 'order.shipped');
    const cursor = await following;
    expect(handled).toEqual(['order.created', 'order.shipped']);
    expect(cursor).toBeDefined();
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    const source = readFileSync(
      join(__dirname, '..', 'examples', 'client', 'follow-events.ts'),
      'utf8',
    );
    expect(readme).toContain(source.trim());
  });
});
