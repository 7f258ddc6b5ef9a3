import request from 'supertest';
import { startConnectionRecorder, type ConnectionRecorder } from './utils/connection-recorder';
import { createSubscription } from './utils/create-subscription';
import { createTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { listDeliveries } from './utils/list-deliveries';
import { publishAndSequence } from './utils/publish-event';
import { createSwitchableResolver } from './utils/switchable-resolver';
import { useTestApp } from './utils/use-test-app';

// A documentation range (TEST-NET-3): the "public" answer is only ever handed to the registration
// check, which resolves and does not connect. It is allowed here so the check passes, as a public
// address would; loopback is not allowed, as in production.
const PUBLIC_ANSWER = '203.0.113.7';

describe('webhook destinations (DNS rebinding)', () => {
  const resolver = createSwitchableResolver();
  const { herald } = useTestApp({
    env: { HERALD_ALLOWED_DESTINATIONS: '203.0.113.0/24' },
    notifications: { resolveHost: resolver.resolve },
  });
  let receiver: ConnectionRecorder | undefined;

  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  it('refuses at connect time a name that resolved to a public address when registered and to loopback since', async () => {
    receiver = await startConnectionRecorder();
    const tenant = await createTenant(herald);
    // `localhost`, so that even a dispatcher that skipped this resolver would reach only loopback.
    const url = `http://localhost:${receiver.port}/hook`;

    resolver.answer(PUBLIC_ANSWER);
    const subscription = await createSubscription(herald, tenant, url);
    expect(resolver.calls).toEqual([{ hostname: 'localhost', addresses: [PUBLIC_ANSWER] }]);

    // The rebinding: from now on the same name points at the loopback receiver.
    resolver.answer('127.0.0.1');
    const event = await publishAndSequence(herald, tenant, 'order.created');
    const [delivery] = await expectEventually(async () => {
      const deliveries = await listDeliveries(herald, tenant, subscription.id);
      expect(deliveries[0]?.attempts).toHaveLength(1);
      return deliveries;
    });

    expect(await receiver.connectionsSoFar()).toBe(0);
    expect(delivery).toMatchObject({ eventId: event.id, status: 'pending' });
    // The error names the rule, not the address the name resolved to.
    expect(delivery.attempts[0]).toMatchObject({
      statusCode: null,
      error:
        'DestinationNotAllowedError: localhost resolves to a loopback address, which webhooks may not call',
    });
    expect(delivery.lastError).not.toContain('127.0.0.1');
    // The connect-time check asked the resolver itself, and was given the private address.
    expect(resolver.calls.slice(1)).toContainEqual({
      hostname: 'localhost',
      addresses: ['127.0.0.1'],
    });
  });

  it.each([
    ['10.20.30.40', 'a private address'],
    ['169.254.1.2', 'a link-local address'],
    ['127.0.0.9', 'a loopback address'],
  ])(
    'refuses on create and on PATCH a name resolving to %s, naming the rule (%s) and not the address',
    async (address, rule) => {
      const tenant = await createTenant(herald);
      const message = `url is not allowed: internal.example resolves to ${rule}, which webhooks may not call`;

      resolver.answer(address);
      const created = await request(herald.baseUrl)
        .post('/v1/subscriptions')
        .set(tenant.auth)
        .send({ url: 'http://internal.example/hook', topics: ['*'] })
        .expect(400);
      expect(created.body).toMatchObject({ code: 'url_not_allowed', message });
      expect(JSON.stringify(created.body)).not.toContain(address);

      resolver.answer(PUBLIC_ANSWER);
      const subscription = await createSubscription(herald, tenant, 'http://public.example/hook');
      resolver.answer(address);
      const patched = await request(herald.baseUrl)
        .patch(`/v1/subscriptions/${subscription.id}`)
        .set(tenant.auth)
        .send({ url: 'http://internal.example/hook' })
        .expect(400);
      expect(patched.body).toMatchObject({ code: 'url_not_allowed', message });
      expect(JSON.stringify(patched.body)).not.toContain(address);
    },
  );
});
