import request from 'supertest';
import { createSubscription } from './utils/create-subscription';
import { createTenant, type TestTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { holdTransaction } from './utils/hold-transaction';
import { pgQuery } from './utils/pg-query';
import { publishAndSequence } from './utils/publish-event';
import { useReceivers } from './utils/use-receivers';
import { useTestApp } from './utils/use-test-app';
import { verifyWebhook } from './utils/verify-webhook';

const URL_A = 'http://127.0.0.1:9/a';
const URL_B = 'http://127.0.0.1:9/b';

describe('idempotent registration by uid', () => {
  // Room for three subscriptions a tenant: enough for every test, and a limit to register again at.
  const { herald, db } = useTestApp({ env: { HERALD_MAX_SUBSCRIPTIONS_PER_TENANT: '3' } });
  const startReceiver = useReceivers();
  const api = () => request(herald.baseUrl);
  const register = (tenant: TestTenant, body: object) =>
    api().post('/v1/subscriptions').set(tenant.auth).send(body);
  const stored = (tenant: TestTenant) =>
    pgQuery<{ id: string; uid: string | null; url: string }>(
      db.url,
      'SELECT id, uid, url FROM herald.subscriptions WHERE tenant_id = $1 ORDER BY created_at',
      [tenant.tenantId],
    );

  it('answers a second registration with the same uid and settings with the first: 200, same id and secret', async () => {
    const tenant = await createTenant(herald);
    const body = {
      uid: 'order-sync.eu_1',
      url: URL_A,
      topics: ['order.*', 'invoice.paid'],
      description: 'sync',
      headers: { 'x-api-key': 'k' },
    };
    const first = await register(tenant, body).expect(201);
    expect(first.body).toMatchObject({ uid: 'order-sync.eu_1', secret: expect.any(String) });

    const again = await register(tenant, body).expect(200);
    expect(again.body).toEqual(first.body);
    // Topics in another order, and what was not given again, are the same settings.
    const reordered = await register(tenant, {
      uid: body.uid,
      url: URL_A,
      topics: ['invoice.paid', 'order.*', 'order.*'],
    }).expect(200);
    expect(reordered.body).toEqual(first.body);
    const withSecret = await register(tenant, {
      uid: body.uid,
      url: URL_A,
      topics: body.topics,
      secret: first.body.secret,
    }).expect(200);
    expect(withSecret.body.id).toBe(first.body.id);
    expect(await stored(tenant)).toEqual([{ id: first.body.id, uid: body.uid, url: URL_A }]);
  });

  it('answers other settings with 409 subscription_uid_conflict and changes nothing', async () => {
    const tenant = await createTenant(herald);
    const base = { uid: 'sync', url: URL_A, topics: ['order.*'], headers: { 'x-a': '1' } };
    const first = await register(tenant, base).expect(201);
    const others: [string, object][] = [
      ['url', { url: URL_B }],
      ['topics', { topics: ['order.*', 'invoice.*'] }],
      ['description', { description: 'another' }],
      ['headers', { headers: { 'x-a': '2' } }],
      ['rateLimit', { rateLimit: 5 }],
      ['secret', { secret: `whsec_${Buffer.alloc(32, 1).toString('base64')}` }],
    ];
    for (const [field, change] of others) {
      const conflict = await register(tenant, { ...base, ...change }).expect(409);
      expect(conflict.body).toMatchObject({
        statusCode: 409,
        code: 'subscription_uid_conflict',
        subscriptionId: first.body.id,
      });
      expect(conflict.body.message).toContain(field);
      expect(JSON.stringify(conflict.body)).not.toContain(first.body.secret);
    }
    const read = await api().get(`/v1/subscriptions/${first.body.id}`).set(tenant.auth).expect(200);
    expect({ ...read.body, secret: first.body.secret }).toEqual(first.body);
    expect(await stored(tenant)).toHaveLength(1);
  });

  it('makes one subscription of ten concurrent registrations with one uid', async () => {
    const tenant = await createTenant(herald);
    const body = { uid: 'concurrent', url: URL_A, topics: ['*'] };
    const answers = await Promise.all(Array.from({ length: 10 }, () => register(tenant, body)));
    expect(answers.map((answer) => answer.status).sort()).toEqual([
      200, 200, 200, 200, 200, 200, 200, 200, 200, 201,
    ]);
    expect(new Set(answers.map((answer) => answer.body.id)).size).toBe(1);
    expect(new Set(answers.map((answer) => answer.body.secret)).size).toBe(1);
    expect(await stored(tenant)).toHaveLength(1);
  });

  it('lets the unique index decide when a registration with the uid commits first', async () => {
    const tenant = await createTenant(herald);
    // A registration in a transaction of the test's own, not yet committed: the API's insert
    // waits on the unique index, then finds the uid taken and answers as to registering again.
    const held = await holdTransaction(
      db.url,
      `INSERT INTO herald.subscriptions (tenant_id, uid, url, topics, secret)
       VALUES ($1, 'raced', $2, '{order.*}', '\\x00')`,
      [tenant.tenantId, URL_B],
    );
    try {
      const answer = register(tenant, { uid: 'raced', url: URL_A, topics: ['order.*'] }).then(
        (response) => response,
      );
      await expectEventually(async () => expect(await held.waiting()).toBe(1));
      await held.commit();
      const response = await answer;
      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({ code: 'subscription_uid_conflict' });
      expect(response.body.message).toContain('url');
    } finally {
      await held.release();
    }
    expect(await stored(tenant)).toEqual([{ id: expect.any(String), uid: 'raced', url: URL_B }]);
  });

  it('registers again at the subscription limit', async () => {
    const tenant = await createTenant(herald);
    await register(tenant, { url: URL_A, topics: ['*'] }).expect(201);
    await register(tenant, { url: URL_A, topics: ['*'] }).expect(201);
    const third = await register(tenant, { uid: 'third', url: URL_B, topics: ['*'] }).expect(201);
    const again = await register(tenant, { uid: 'third', url: URL_B, topics: ['*'] }).expect(200);
    expect(again.body.id).toBe(third.body.id);
    const fourth = await register(tenant, { uid: 'fourth', url: URL_B, topics: ['*'] }).expect(409);
    expect(fourth.body.code).toBe('subscription_limit_reached');
  });

  it('finds a subscription by its uid on GET, PATCH and DELETE, and by its id as before', async () => {
    const tenant = await createTenant(herald);
    const created = await createSubscription(herald, tenant, URL_A, ['*'], { uid: 'by.uid' });
    const read = await api().get('/v1/subscriptions/by.uid').set(tenant.auth).expect(200);
    expect(read.body).toMatchObject({ id: created.id, uid: 'by.uid' });
    await api().get(`/v1/subscriptions/${created.id}`).set(tenant.auth).expect(200);

    const changed = await api()
      .patch('/v1/subscriptions/by.uid')
      .set(tenant.auth)
      .send({ description: 'found by uid' })
      .expect(200);
    expect(changed.body).toMatchObject({ id: created.id, description: 'found by uid' });
    const secrets = await api().get('/v1/subscriptions/by.uid/secret').set(tenant.auth).expect(200);
    expect(secrets.body.secret).toBe(created.secret);

    // A uid is set on create only.
    const patchUid = await api()
      .patch('/v1/subscriptions/by.uid')
      .set(tenant.auth)
      .send({ uid: 'other' })
      .expect(400);
    expect(patchUid.body.message).toContain('uid');

    await api().delete('/v1/subscriptions/by.uid').set(tenant.auth).expect(204);
    const gone = await api().get('/v1/subscriptions/by.uid').set(tenant.auth).expect(404);
    expect(gone.body.code).toBe('subscription_not_found');
    await api().delete(`/v1/subscriptions/${created.id}`).set(tenant.auth).expect(404);
    // Once deleted, the uid is free again.
    await register(tenant, { uid: 'by.uid', url: URL_B, topics: ['*'] }).expect(201);
  });

  it('takes a UUID as a uid, looked up by id first', async () => {
    const tenant = await createTenant(herald);
    const first = await createSubscription(herald, tenant, URL_A, ['*']);
    const uuid = '3f2b8c4e-9d1a-4c6b-8e7f-1a2b3c4d5e6f';
    const withUuid = await createSubscription(herald, tenant, URL_B, ['*'], { uid: uuid });
    const byUid = await api().get(`/v1/subscriptions/${uuid}`).set(tenant.auth).expect(200);
    expect(byUid.body.id).toBe(withUuid.id);
    // A uid equal to another subscription's id does not hide that subscription.
    const clash = await createSubscription(herald, tenant, URL_B, ['a.b'], { uid: first.id });
    const byId = await api().get(`/v1/subscriptions/${first.id}`).set(tenant.auth).expect(200);
    expect(byId.body.id).toBe(first.id);
    expect(byId.body.id).not.toBe(clash.id);
  });

  it('answers 404 to an unknown uid and 400 to what can be neither id nor uid', async () => {
    const tenant = await createTenant(herald);
    const missing = await api().get('/v1/subscriptions/nope').set(tenant.auth).expect(404);
    expect(missing.body.code).toBe('subscription_not_found');
    for (const ref of ['not%20a%20uid', 'a%3Ab', 'x'.repeat(257)]) {
      for (const method of ['get', 'patch', 'delete'] as const) {
        const bad = await api()[method](`/v1/subscriptions/${ref}`).set(tenant.auth).send({});
        expect({ status: bad.status, code: bad.body.code }).toEqual({
          status: 400,
          code: 'validation_failed',
        });
        expect(bad.body.message).toContain('id must be');
      }
    }
  });

  it('lets another tenant use the same uid, and keeps each to its own', async () => {
    const one = await createTenant(herald);
    const two = await createTenant(herald);
    const first = await register(one, { uid: 'shared', url: URL_A, topics: ['*'] }).expect(201);
    const second = await register(two, { uid: 'shared', url: URL_B, topics: ['a.*'] }).expect(201);
    expect(second.body.id).not.toBe(first.body.id);
    const readOne = await api().get('/v1/subscriptions/shared').set(one.auth).expect(200);
    const readTwo = await api().get('/v1/subscriptions/shared').set(two.auth).expect(200);
    expect([readOne.body.id, readTwo.body.id]).toEqual([first.body.id, second.body.id]);
    await api().delete('/v1/subscriptions/shared').set(two.auth).expect(204);
    await api().get('/v1/subscriptions/shared').set(one.auth).expect(200);
  });

  it('sends herald-subscription-id on every webhook, and herald-subscription-uid when set', async () => {
    const tenant = await createTenant(herald);
    const withUid = await startReceiver();
    const withoutUid = await startReceiver();
    const a = await createSubscription(herald, tenant, withUid.url, ['order.*'], {
      uid: 'receiver.a',
    });
    const b = await createSubscription(herald, tenant, withoutUid.url, ['order.*']);
    await publishAndSequence(herald, tenant, 'order.created');
    await expectEventually(() => {
      expect(withUid.received).toHaveLength(1);
      expect(withoutUid.received).toHaveLength(1);
    });
    expect(withUid.received[0].headers).toMatchObject({
      'herald-subscription-id': a.id,
      'herald-subscription-uid': 'receiver.a',
    });
    expect(withoutUid.received[0].headers['herald-subscription-id']).toBe(b.id);
    expect(withoutUid.received[0].headers).not.toHaveProperty('herald-subscription-uid');
    // The Standard Webhooks signature is as before.
    expect(verifyWebhook(a.secret, withUid.received[0]).type).toBe('order.created');
    expect(verifyWebhook(b.secret, withoutUid.received[0]).type).toBe('order.created');
  });

  it.each([
    ['a uid with a space', { uid: 'a b' }],
    ['an empty uid', { uid: '' }],
    ['a uid of 257 characters', { uid: 'u'.repeat(257) }],
    ['a uid that is a number', { uid: 7 }],
  ])('refuses %s with 400 naming uid', async (_case, override) => {
    const tenant = await createTenant(herald);
    const response = await register(tenant, { url: URL_A, topics: ['*'], ...override }).expect(400);
    expect(response.body.code).toBe('validation_failed');
    expect(response.body.message).toContain('uid must be');
    expect(await stored(tenant)).toEqual([]);
  });
});
