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
    expect(delivery.attempts[0]).toMatchObject({
      statusCode: null,
      error:
        'DestinationNotAllowedError: localhost (127.0.0.1) is a loopback address, which webhooks may not call',
    });
    // The connect-time check asked the resolver itself, and was given the private address.
    expect(resolver.calls.slice(1)).toContainEqual({
      hostname: 'localhost',
      addresses: ['127.0.0.1'],
    });
  });
});
