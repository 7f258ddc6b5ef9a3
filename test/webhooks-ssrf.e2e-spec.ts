import { randomUUID } from 'node:crypto';
import request from 'supertest';
import {
  SecretBox,
  parseEncryptionKey,
} from '../src/notifications/webhooks/secrets/secret-box';
import { createSubscription } from './utils/create-subscription';
import { createTenant, type TestTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { listDeliveries } from './utils/list-deliveries';
import { pgQuery } from './utils/pg-query';
import { publishAndSequence } from './utils/publish-event';
import { TEST_ENCRYPTION_KEY } from './utils/test-app';
import { useReceivers } from './utils/use-receivers';
import { useTestApp } from './utils/use-test-app';

describe('webhook destinations (SSRF guard)', () => {
  const { herald, db } = useTestApp({
    // Replaces the harness's 127.0.0.0/8: loopback is refused here like in production.
    env: { HERALD_ALLOWED_DESTINATIONS: '10.0.0.0/8' },
  });
  const startReceiver = useReceivers();

  const api = () => request(herald.baseUrl);
  const storedSubscriptions = (tenant: TestTenant) =>
    pgQuery(db.url, 'SELECT url FROM herald.subscriptions WHERE tenant_id = $1', [tenant.tenantId]);

  it.each([
    'http://127.0.0.1/hook',
    'http://2130706433/',
    'http://0x7f000001/',
    'http://127.1/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::1]/',
    'http://localhost/',
    'http://169.254.169.254/latest/meta-data/',
    'http://192.168.1.1/',
    'http://100.64.0.1/',
    'http://0.0.0.0/',
    'http://224.0.0.1/',
    'ftp://x',
    'file:///etc/passwd',
    'http://user:pass@10.0.0.1/',
  ])('refuses %s at registration with 400 url_not_allowed and stores nothing', async (url) => {
    const tenant = await createTenant(herald);
    const response = await api()
      .post('/v1/subscriptions')
      .set(tenant.auth)
      .send({ url, topics: ['*'] })
      .expect(400);
    expect(response.body).toMatchObject({ statusCode: 400, code: 'url_not_allowed' });
    expect(response.body.message).toEqual(expect.any(String));
    if (url === 'http://localhost/') {
      expect(response.body.message).toBe(
        'url is not allowed: localhost resolves to a loopback address, which webhooks may not call',
      );
    }
    expect(await storedSubscriptions(tenant)).toEqual([]);
  });

  it('accepts an address inside HERALD_ALLOWED_DESTINATIONS, and refuses a change to loopback', async () => {
    const tenant = await createTenant(herald);
    const created = await createSubscription(herald, tenant, 'http://10.1.2.3:8080/hook');
    const response = await api()
      .patch(`/v1/subscriptions/${created.id}`)
      .set(tenant.auth)
      .send({ url: 'http://[::ffff:7f00:1]/hook' })
      .expect(400);
    expect(response.body.code).toBe('url_not_allowed');
    expect(await storedSubscriptions(tenant)).toEqual([{ url: 'http://10.1.2.3:8080/hook' }]);
  });

  it('refuses a stored loopback destination again at connect time, on every path', async () => {
    const tenant = await createTenant(herald);
    const receiver = await startReceiver();
    const port = new URL(receiver.url).port;
    // Rows written by hand, past the API's check, pointing at loopback: by address, and by a name
    // that resolves to it, each with a secret sealed for it as the service would.
    const box = new SecretBox([parseEncryptionKey(TEST_ENCRYPTION_KEY)]);
    const insert = async (url: string) => {
      const id = randomUUID();
      const [row] = await pgQuery<{ id: string }>(
        db.url,
        `INSERT INTO herald.subscriptions (id, tenant_id, url, topics, secret)
         VALUES ($1, $2, $3, ARRAY['order.*'], $4) RETURNING id`,
        [
          id,
          tenant.tenantId,
          url,
          box.seal('whsec_by_hand', { subscriptionId: id, column: 'secret' }),
        ],
      );
      return row;
    };
    const byAddress = await insert(receiver.url);
    const byName = await insert(`http://localhost:${port}/hook`);

    await publishAndSequence(herald, tenant, 'order.created');
    for (const sub of [byAddress, byName]) {
      const [delivery] = await expectEventually(async () => {
        const all = await listDeliveries(herald, tenant, sub.id);
        expect(all[0]?.attempts).toHaveLength(1);
        return all;
      });
      expect(delivery.attempts[0]).toMatchObject({
        statusCode: null,
        error: expect.stringMatching(/loopback/),
      });
      expect(delivery.lastError).toMatch(/loopback/);
      // A name's refusal names the rule, never the address it resolved to.
      if (sub === byName) expect(delivery.lastError).not.toMatch(/127\.0\.0\.1|::1/);

      // The test and retry paths go through the same guard.
      await api().post(`/v1/subscriptions/${sub.id}/test`).set(tenant.auth).expect(202);
      await api().post(`/v1/deliveries/${delivery.id}/retry`).set(tenant.auth).expect(202);
    }
    // Every attempt begun (each claim) is recorded, refused before connecting: none reached the
    // receiver, and none is still on its way there.
    await expectEventually(async () => {
      for (const sub of [byAddress, byName]) {
        const all = await listDeliveries(herald, tenant, sub.id);
        const attempts = all.flatMap((d) => d.attempts);
        expect(attempts).toHaveLength(3);
        for (const attempt of attempts) expect(attempt.error).toMatch(/loopback/);
        const [{ claimed }] = await pgQuery<{ claimed: number }>(
          db.url,
          'SELECT sum(attempts)::int AS claimed FROM herald.deliveries WHERE subscription_id = $1',
          [sub.id],
        );
        expect(claimed).toBe(attempts.length);
      }
    });
    expect(receiver.received).toEqual([]);
  });
});
