import request from 'supertest';
import { createSubscription } from './utils/create-subscription';
import { createTenant, type TestTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { listDeliveries } from './utils/list-deliveries';
import { pgQuery } from './utils/pg-query';
import { publishAndSequence } from './utils/publish-event';
import { useReceivers } from './utils/use-receivers';
import { useTestApp } from './utils/use-test-app';
import { verifyWebhook } from './utils/verify-webhook';

/** Twenty headers of 200 bytes each (name and value): 4,000 bytes, just inside the limit. */
const LARGEST = Object.fromEntries(
  Array.from({ length: 20 }, (_, i) => [`x-h${String(i).padStart(2, '0')}`, 'v'.repeat(195)]),
);

describe('custom headers of a subscription', () => {
  // A failed attempt waits an hour, so only a retry by hand sends it again.
  const { herald, db } = useTestApp({
    env: { HERALD_RETRY_SCHEDULE: '1h', HERALD_FAST_RETRIES: '1' },
  });
  const startReceiver = useReceivers();
  const api = () => request(herald.baseUrl);
  const storedHeaders = async (tenant: TestTenant) =>
    (
      await pgQuery<{ headers: Record<string, string> }>(
        db.url,
        'SELECT headers FROM herald.subscriptions WHERE tenant_id = $1',
        [tenant.tenantId],
      )
    ).map((row) => row.headers);

  it('sends them on every request, outside the signature, and shows them on read', async () => {
    const tenant = await createTenant(herald);
    const receiver = await startReceiver();
    const headers = { 'X-Api-Key': 'k_live_123', 'x-route': 'eu west', 'x-empty': '' };
    const created = await createSubscription(herald, tenant, receiver.url, ['order.*'], {
      headers,
    });
    expect(created).toMatchObject({ headers });
    const read = await api().get(`/v1/subscriptions/${created.id}`).set(tenant.auth).expect(200);
    expect(read.body.headers).toEqual(headers);

    await publishAndSequence(herald, tenant, 'order.created', { n: 1 });
    await publishAndSequence(herald, tenant, 'order.paid', { n: 2 });
    await expectEventually(() => expect(receiver.received).toHaveLength(2));
    for (const hook of receiver.received) {
      expect(hook.headers).toMatchObject({
        'x-api-key': 'k_live_123',
        'x-route': 'eu west',
        'x-empty': '',
        'content-type': 'application/json',
      });
      // Standard Webhooks signs the id, the timestamp and the body: the headers change nothing.
      expect(verifyWebhook(created.secret, hook)).toMatchObject({ type: expect.any(String) });
    }
  });

  it('takes 20 headers of 4,000 bytes in all', async () => {
    const tenant = await createTenant(herald);
    const receiver = await startReceiver();
    const created = await createSubscription(herald, tenant, receiver.url, ['*'], {
      headers: LARGEST,
    });
    await publishAndSequence(herald, tenant, 'order.created');
    await expectEventually(() => expect(receiver.received).toHaveLength(1));
    expect(receiver.received[0].headers).toMatchObject(LARGEST);
    expect(verifyWebhook(created.secret, receiver.received[0])).toBeDefined();
  });

  it('keeps names that objects have, such as constructor, as sent', async () => {
    const tenant = await createTenant(herald);
    const receiver = await startReceiver();
    const headers = { constructor: 'c', toString: 't', valueOf: 'v' };
    const created = await createSubscription(herald, tenant, receiver.url, ['*'], { headers });
    expect(created).toMatchObject({ headers });
    expect(await storedHeaders(tenant)).toEqual([headers]);
    await publishAndSequence(herald, tenant, 'order.created');
    await expectEventually(() => expect(receiver.received).toHaveLength(1));
    expect(receiver.received[0].headers).toMatchObject({
      constructor: 'c',
      tostring: 't',
      valueof: 'v',
    });
  });

  it('sends what a PATCH set at the next attempt, and {} removes them all', async () => {
    const tenant = await createTenant(herald);
    const receiver = await startReceiver();
    receiver.answer = () => ({ status: 503 });
    const created = await createSubscription(herald, tenant, receiver.url, ['*'], {
      headers: { 'x-api-key': 'old' },
    });
    await publishAndSequence(herald, tenant, 'order.created');
    const [delivery] = await expectEventually(async () => {
      const all = await listDeliveries(herald, tenant, created.id);
      expect(all).toMatchObject([{ status: 'pending', attempts: [{ statusCode: 503 }] }]);
      return all;
    });
    expect(receiver.received[0].headers['x-api-key']).toBe('old');

    const changed = await api()
      .patch(`/v1/subscriptions/${created.id}`)
      .set(tenant.auth)
      .send({ headers: { 'x-api-key': 'new', 'x-tenant': 't1' } })
      .expect(200);
    expect(changed.body.headers).toEqual({ 'x-api-key': 'new', 'x-tenant': 't1' });
    receiver.answer = () => ({ status: 204 });
    await api().post(`/v1/deliveries/${delivery.id}/retry`).set(tenant.auth).expect(202);
    await expectEventually(() => expect(receiver.received).toHaveLength(2));
    expect(receiver.received[1].headers).toMatchObject({ 'x-api-key': 'new', 'x-tenant': 't1' });

    // A PATCH without headers leaves them; an empty object removes them.
    await api()
      .patch(`/v1/subscriptions/${created.id}`)
      .set(tenant.auth)
      .send({ description: 'kept headers' })
      .expect(200)
      .expect(({ body }) => expect(body.headers).toEqual({ 'x-api-key': 'new', 'x-tenant': 't1' }));
    await api()
      .patch(`/v1/subscriptions/${created.id}`)
      .set(tenant.auth)
      .send({ headers: {} })
      .expect(200)
      .expect(({ body }) => expect(body.headers).toEqual({}));
    await publishAndSequence(herald, tenant, 'order.paid');
    await expectEventually(() => expect(receiver.received).toHaveLength(3));
    expect(receiver.received[2].headers).not.toHaveProperty('x-api-key');
    expect(receiver.received[2].headers).not.toHaveProperty('x-tenant');
  });

  // prettier-ignore
  const BAD: [string, unknown, string][] = [
    ['not an object', 'x-api-key: k', 'headers must be an object'],
    ['an array', [['x-api-key', 'k']], 'headers must be an object'],
    ['a name with a space', { 'x api key': 'k' }, '"x api key" is not a header name'],
    ['a name with a colon', { 'x-api-key:': 'k' }, '"x-api-key:" is not a header name'],
    ['a name that is not ASCII', { 'x-clé': 'k' }, '"x-clé" is not a header name'],
    ['an empty name', { '': 'k' }, '"" is not a header name'],
    ['a value with LF', { 'x-api-key': 'k\nx-evil: 1' }, 'the value of "x-api-key" must not contain CR or LF'],
    ['a value with CR', { 'x-api-key': 'k\r' }, 'the value of "x-api-key" must not contain CR or LF'],
    ['a value with another control character', { 'x-api-key': 'k\u0007' }, 'the value of "x-api-key" must hold visible ASCII'],
    ['a value that is not ASCII', { 'x-api-key': 'clé' }, 'the value of "x-api-key" must hold visible ASCII'],
    ['a value that is a number', { 'x-retries': 3 }, 'the value of "x-retries" must be a string'],
    ['a value that is null', { 'x-api-key': null }, 'the value of "x-api-key" must be a string'],
    ['content-type', { 'Content-Type': 'text/plain' }, '"Content-Type" is set by Herald'],
    ['content-length', { 'content-length': '1' }, '"content-length" is set by Herald'],
    ['host', { host: 'example.com' }, '"host" is set by Herald'],
    ['user-agent', { 'User-Agent': 'me' }, '"User-Agent" is set by Herald'],
    ['a webhook-* header', { 'webhook-signature': 'v1,x' }, '"webhook-signature" is set by Herald'],
    ['a herald-* header', { 'Herald-Subscription-Id': 'x' }, '"Herald-Subscription-Id" is set by Herald'],
    ['a connection header', { 'transfer-encoding': 'chunked' }, '"transfer-encoding" is set by Herald'],
    ['traceparent', { Traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }, '"Traceparent" is set by Herald'],
    ['tracestate', { tracestate: 'vendor=1' }, '"tracestate" is set by Herald'],
    ['one name twice', { 'x-api-key': 'a', 'X-Api-Key': 'b' }, '"X-Api-Key" is given twice'],
    ['21 headers', Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`x-h${i}`, 'v'])), 'headers may hold at most 20 headers'],
    ['4,097 bytes', { ...LARGEST, 'x-h19': 'v'.repeat(195 + 97) }, 'headers must be at most 4096 bytes in all'],
  ];

  it.each(BAD)(
    'refuses %s with a 400 naming it, on create and on change',
    async (_case, headers, message) => {
      const tenant = await createTenant(herald);
      const created = await createSubscription(herald, tenant, 'http://127.0.0.1:9/hook', ['*'], {
        headers: { 'x-api-key': 'kept' },
      });
      const create = await api()
        .post('/v1/subscriptions')
        .set(tenant.auth)
        .send({ url: 'http://127.0.0.1:9/hook', topics: ['*'], headers })
        .expect(400);
      expect(create.body).toMatchObject({ code: 'validation_failed' });
      expect(create.body.message).toContain(message);
      const change = await api()
        .patch(`/v1/subscriptions/${created.id}`)
        .set(tenant.auth)
        .send({ headers })
        .expect(400);
      expect(change.body).toMatchObject({ code: 'validation_failed' });
      expect(change.body.message).toContain(message);
      expect(await storedHeaders(tenant)).toEqual([{ 'x-api-key': 'kept' }]);
    },
  );
});
