import request, { type Response } from 'supertest';
import { createSubscription } from './utils/create-subscription';
import { createTenant, type TestTenant } from './utils/create-tenant';
import { useReceivers } from './utils/use-receivers';
import { useTestApp } from './utils/use-test-app';

const basic = (password: string) => `Basic ${Buffer.from(`ops:${password}`).toString('base64')}`;

/** `nosniff` and `no-store`: what every answer of a `/v1` route carries. */
function expectApiHeaders(response: Response): void {
  expect({
    status: response.status,
    nosniff: response.headers['x-content-type-options'],
    cache: response.headers['cache-control'],
  }).toEqual({ status: response.status, nosniff: 'nosniff', cache: 'no-store' });
}

/** `nosniff` and no framing at all: what every answer of the service carries. */
function expectServiceHeaders(response: Response): void {
  const csp = String(response.headers['content-security-policy']);
  expect({
    status: response.status,
    nosniff: response.headers['x-content-type-options'],
    frameOptions: response.headers['x-frame-options'],
    frameAncestors: /(^|;\s*)frame-ancestors 'none'(;|$)/.test(csp),
  }).toEqual({
    status: response.status,
    nosniff: 'nosniff',
    frameOptions: 'DENY',
    frameAncestors: true,
  });
}

describe('security headers of the service', () => {
  const { herald } = useTestApp();
  const startReceiver = useReceivers();
  let tenant: TestTenant;
  const api = () => request(herald.baseUrl);
  const admin = () => ({ Authorization: `Bearer ${herald.adminToken}` });

  beforeAll(async () => {
    tenant = await createTenant(herald);
  });

  it('marks every /v1 answer nosniff and no-store: keys, secrets, events and refusals alike', async () => {
    const receiver = await startReceiver();
    const subscription = await createSubscription(herald, tenant, receiver.url, ['order.*']);
    const answers: Response[] = [
      // The secret-bearing answers: a new API key, a subscription with its secret, the secret.
      await api().post(`/v1/tenants/${tenant.tenantId}/api-keys`).set(admin()).expect(201),
      await api()
        .post('/v1/subscriptions')
        .set(tenant.auth)
        .send({ url: receiver.url, topics: ['order.*'] })
        .expect(201),
      await api().get(`/v1/subscriptions/${subscription.id}/secret`).set(tenant.auth).expect(200),
      await api()
        .post(`/v1/subscriptions/${subscription.id}/secret/rotate`)
        .set(tenant.auth)
        .expect(200),
      // Events, lists and a delete.
      await api()
        .post('/v1/events')
        .set(tenant.auth)
        .send({ topic: 'order.created', payload: {} })
        .expect(201),
      await api().get('/v1/events?after=0&wait=0').set(tenant.auth).expect(200),
      await api().get('/v1/subscriptions').set(tenant.auth).expect(200),
      await api()
        .get(`/v1/subscriptions/${subscription.id}/deliveries`)
        .set(tenant.auth)
        .expect(200),
      await api().delete(`/v1/subscriptions/${subscription.id}`).set(tenant.auth).expect(204),
      // Refusals: no credential, a bad body, an unknown id.
      await api().get('/v1/subscriptions').expect(401),
      await api().post('/v1/subscriptions').set(tenant.auth).send({ url: 'x' }).expect(400),
      await api().get(`/v1/subscriptions/${subscription.id}`).set(tenant.auth).expect(404),
    ];
    for (const response of answers) expectApiHeaders(response);
    // The service's own headers are on /v1 answers too.
    for (const response of answers) expectServiceHeaders(response);
  });

  it('marks the event stream no-store', async () => {
    const controller = new AbortController();
    try {
      const response = await fetch(`${herald.baseUrl}/v1/events/stream`, {
        headers: { ...tenant.auth, Accept: 'text/event-stream' },
        signal: controller.signal,
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store, no-transform');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    } finally {
      controller.abort();
    }
  });

  it.each([
    ['/health', 200],
    ['/metrics', 200],
    ['/docs', 200],
    ['/docs-json', 200],
    ['/portal', 200],
    ['/portal/portal.js', 200],
    ['/admin/queues', 401],
    ['/no-such-route', 404],
  ])('marks %s nosniff and refuses to be framed', async (path, status) => {
    expectServiceHeaders(await api().get(path).expect(status));
  });

  it('marks the operator view nosniff and unframeable when signed in, pages and API alike', async () => {
    for (const path of ['/admin/queues', '/admin/queues/api/queues']) {
      expectServiceHeaders(
        await api().get(path).set('Authorization', basic(herald.adminToken)).expect(200),
      );
    }
  });

  it('marks a body the JSON parser refuses', async () => {
    const response = await api()
      .post('/v1/events')
      .set(tenant.auth)
      .set('Content-Type', 'application/json')
      .send('{"topic":')
      .expect(400);
    expectServiceHeaders(response);
  });

  it('keeps the portal its own stricter policy', async () => {
    const page = await api().get('/portal').expect(200);
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('leaves out HSTS and upgrade-insecure-requests, which belong to the TLS terminator', async () => {
    const page = await api().get('/docs').expect(200);
    expect(page.headers['strict-transport-security']).toBeUndefined();
    expect(page.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
  });
});
