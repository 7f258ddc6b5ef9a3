import request from 'supertest';
import { createTenant } from './utils/create-tenant';
import { publishAndSequence } from './utils/publish-event';
import { readEvents } from './utils/read-events';
import { useTestApp } from './utils/use-test-app';

describe('reading events by cursor (wait=0)', () => {
  const { herald } = useTestApp();

  it('without after, starts from now: older events are not returned, newer ones are', async () => {
    const tenant = await createTenant(herald);
    await publishAndSequence(herald, tenant, 'old.news');
    const now = await readEvents(herald, tenant, {});
    expect(now.events).toEqual([]);
    const fresh = await publishAndSequence(herald, tenant, 'fresh.news', { n: 1 });
    const page = await readEvents(herald, tenant, { after: now.nextCursor });
    expect(page.events).toEqual([
      {
        id: fresh.id,
        topic: 'fresh.news',
        payload: { n: 1 },
        cursor: fresh.cursor,
        createdAt: expect.any(String),
      },
    ]);
    expect(page.nextCursor).toBe(fresh.cursor);
  });

  it('after=0 reads from the oldest retained event, in order, page by page', async () => {
    const tenant = await createTenant(herald);
    const published = [];
    for (let i = 0; i < 5; i++)
      published.push(await publishAndSequence(herald, tenant, 'page.item', { i }));
    const seen: string[] = [];
    let cursor = '0';
    const sizes: number[] = [];
    for (;;) {
      const page = await readEvents(herald, tenant, { after: cursor, limit: 2 });
      sizes.push(page.events.length);
      seen.push(...page.events.map((event) => event.id));
      if (page.events.length === 0) {
        expect(page.nextCursor).toBe(cursor);
        break;
      }
      cursor = page.nextCursor;
    }
    expect(sizes).toEqual([2, 2, 1, 0]);
    expect(seen).toEqual(published.map((event) => event.id));
  });

  it('filters by topic, with order.* and * wildcards', async () => {
    const tenant = await createTenant(herald);
    for (const topic of [
      'order.created',
      'order.item.added',
      'orders.created',
      'order',
      'invoice.paid',
    ]) {
      await publishAndSequence(herald, tenant, topic);
    }
    const topicsOf = async (topics: string) =>
      (await readEvents(herald, tenant, { after: 0, topics })).events.map((event) => event.topic);
    expect(await topicsOf('order.*')).toEqual(['order.created', 'order.item.added']);
    expect(await topicsOf('order')).toEqual(['order']);
    expect(await topicsOf('order.*,invoice.paid')).toEqual([
      'order.created',
      'order.item.added',
      'invoice.paid',
    ]);
    expect(await topicsOf('*')).toHaveLength(5);
    expect(await topicsOf('nothing.here')).toEqual([]);
    expect((await readEvents(herald, tenant, { after: 0 })).events).toHaveLength(5);
  });

  it("never shows another tenant's events", async () => {
    const alice = await createTenant(herald, 'alice');
    const bob = await createTenant(herald, 'bob');
    await publishAndSequence(herald, alice, 'private.alice');
    const mine = await publishAndSequence(herald, bob, 'private.bob');
    const page = await readEvents(herald, bob, { after: 0 });
    expect(page.events.map((event) => event.id)).toEqual([mine.id]);
  });

  it('lets the admin read a tenant with tenantId, and requires it', async () => {
    const tenant = await createTenant(herald);
    const event = await publishAndSequence(herald, tenant, 'admin.reads');
    const admin = { Authorization: `Bearer ${herald.adminToken}` };
    const page = await request(herald.baseUrl)
      .get('/v1/events')
      .query({ after: 0, tenantId: tenant.tenantId })
      .set(admin)
      .expect(200);
    expect(page.body.events.map((e: { id: string }) => e.id)).toEqual([event.id]);
    const missing = await request(herald.baseUrl).get('/v1/events?after=0').set(admin).expect(400);
    expect(missing.body.message).toContain('tenantId');
  });

  it('refuses a cursor ahead of the log with 400 invalid_cursor', async () => {
    const tenant = await createTenant(herald);
    const response = await request(herald.baseUrl)
      .get('/v1/events')
      .query({ after: '9000000000000000000' })
      .set(tenant.auth)
      .expect(400);
    expect(response.body).toMatchObject({
      code: 'invalid_cursor',
      message: expect.stringContaining('after'),
    });
  });
});
