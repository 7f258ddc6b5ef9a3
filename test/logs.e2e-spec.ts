import request from 'supertest';
import { createSubscription } from './utils/create-subscription';
import { createTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { holdPoll } from './utils/hold-poll';
import { readMetric } from './utils/read-metric';
import { startRedisServer, type RedisServer } from './utils/redis-server';
import { spawnHerald, type HeraldProcess } from './utils/spawn-herald';
import { TEST_ADMIN_TOKEN } from './utils/test-app';
import { createTestDatabase, type TestDatabase } from './utils/test-database';
import { startReceiver, type WebhookReceiver } from './utils/webhook-receiver';

/** A token in the receiver's URL: a URL is a credential too, so no log line may show it. */
const URL_TOKEN = 'receiver-url-token-5f1c9d';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type LogLine = Record<string, unknown> & {
  msg?: string;
  req?: { id?: string; method?: string; url?: string };
  res?: { statusCode?: number };
  responseTime?: number;
};

describe('logs', () => {
  let db: TestDatabase;
  let redis: RedisServer;
  let receiver: WebhookReceiver;
  let herald: HeraldProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    // A Redis of its own: a worker of another test process on the shared one could take our jobs.
    redis = await startRedisServer();
    receiver = await startReceiver(`/hook?token=${URL_TOKEN}`);
  });

  afterAll(async () => {
    herald?.child.kill('SIGKILL');
    await receiver?.close();
    await redis?.stop();
    await db?.drop();
  });

  it('writes JSON lines with request ids and attempts, and never a credential', async () => {
    // debug: the most the service ever writes, so nothing it would say is left out of the check.
    herald = await spawnHerald(db.url, { REDIS_URL: redis.url, LOG_LEVEL: 'debug' });
    const app = { baseUrl: herald.baseUrl, adminToken: TEST_ADMIN_TOKEN };
    const api = () => request(herald!.baseUrl);

    const tenant = await createTenant(app);
    const subscription = await createSubscription(app, tenant, receiver.url, ['logs.*']);
    const published = await api()
      .post('/v1/events')
      .set(tenant.auth)
      .set('x-request-id', 'logs-spec-publish-1')
      .send({ topic: 'logs.first', payload: { n: 1 } })
      .expect(201);
    expect(published.headers['x-request-id']).toBe('logs-spec-publish-1');
    await expectEventually(() => expect(receiver.received).toHaveLength(1));

    const rotated = await api()
      .post(`/v1/subscriptions/${subscription.id}/secret/rotate`)
      .set(tenant.auth)
      .set('x-request-id', 'not a sane id "},{"level":"fatal')
      .expect(200);
    expect(rotated.headers['x-request-id']).toMatch(UUID);
    const newSecret: string = rotated.body.secret;
    expect(newSecret).toMatch(/^whsec_/);
    await api().get(`/v1/subscriptions/${subscription.id}/secret`).set(tenant.auth).expect(200);
    await api()
      .post('/v1/events')
      .set(tenant.auth)
      .send({ topic: 'logs.second', payload: { n: 2 } })
      .expect(201);
    await expectEventually(() => expect(receiver.received).toHaveLength(2));
    // A held poll that times out: its one line is written when it is answered.
    await api()
      .get('/v1/events')
      .query({ wait: 1 })
      .set(tenant.auth)
      .set('x-request-id', 'logs-spec-poll-1')
      .expect(200);
    // A held poll its client leaves: a line says so.
    const abandoned = holdPoll(herald.baseUrl, '/v1/events?wait=20', {
      ...tenant.auth,
      'x-request-id': 'logs-spec-abandoned-1',
    });
    await expectEventually(async () =>
      expect(await readMetric(herald!.baseUrl, 'herald_longpoll_waiters')).toBe(1),
    );
    abandoned.abort();
    await expectEventually(() => expect(herald!.stdout()).toContain('logs-spec-abandoned-1'));
    await expectEventually(() =>
      expect(herald!.stdout().match(/"msg":"webhook attempt/g)).toHaveLength(2),
    );

    herald.child.kill('SIGTERM');
    expect(await herald.exited).toBe(0);

    const lines = herald
      .stdout()
      .split('\n')
      .filter((line) => line !== '');
    const parsed = lines.map((line) => {
      try {
        return JSON.parse(line) as LogLine;
      } catch {
        throw new Error(`not a JSON line: ${line}`);
      }
    });

    const requests = parsed.filter((line) => line.req !== undefined);
    expect(requests.length).toBeGreaterThanOrEqual(6);
    for (const line of requests) expect(line.req?.id).toEqual(expect.any(String));
    expect(requests).toContainEqual(
      expect.objectContaining({
        level: 'info',
        req: expect.objectContaining({
          id: 'logs-spec-publish-1',
          method: 'POST',
          url: '/v1/events',
        }),
        res: { statusCode: 201 },
        responseTime: expect.any(Number),
      }),
    );
    expect(requests).toContainEqual(
      expect.objectContaining({
        req: expect.objectContaining({ id: rotated.headers['x-request-id'] }),
      }),
    );
    const pollLines = requests.filter((line) => line.req?.id === 'logs-spec-poll-1');
    expect(pollLines).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'request completed',
        res: { statusCode: 200 },
        responseTime: expect.any(Number),
      }),
    ]);
    expect(pollLines[0]?.responseTime).toBeGreaterThanOrEqual(900);
    expect(requests.filter((line) => line.req?.id === 'logs-spec-abandoned-1')).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'request aborted',
        req: expect.objectContaining({ method: 'GET', url: '/v1/events?wait=20' }),
      }),
    ]);

    const attempts = parsed.filter((line) => line.msg?.startsWith('webhook attempt'));
    expect(attempts).toHaveLength(2);
    expect(attempts[0]).toEqual(
      expect.objectContaining({
        level: 'info',
        context: 'HeraldDelivery',
        deliveryId: expect.stringMatching(UUID),
        subscriptionId: subscription.id,
        eventId: published.body.id,
        tenantId: tenant.tenantId,
        topic: 'logs.first',
        attempt: 1,
        outcome: 'succeeded',
        statusCode: 204,
        durationMs: expect.any(Number),
      }),
    );

    const signatures = receiver.received.map((hook) => String(hook.headers['webhook-signature']));
    // During the rotation both secrets sign: two signatures, space-separated.
    expect(signatures[1]?.split(' ')).toHaveLength(2);
    const credentials = {
      adminToken: TEST_ADMIN_TOKEN,
      apiKey: tenant.apiKey,
      firstSecret: subscription.secret,
      // The part after whsec_ is the key itself; it must not appear in any encoding we can spot.
      firstSecretKey: subscription.secret.replace(/^whsec_/, ''),
      rotatedSecret: newSecret,
      rotatedSecretKey: newSecret.replace(/^whsec_/, ''),
      ...Object.fromEntries(
        signatures.flatMap((header) => header.split(' ')).map((part, i) => [`signature${i}`, part]),
      ),
      urlToken: URL_TOKEN,
    };
    const everything = herald.output();
    for (const [name, value] of Object.entries(credentials)) {
      expect({ [name]: everything.includes(value) }).toEqual({ [name]: false });
    }
    expect(everything).not.toMatch(/whsec_/);
    expect(everything).not.toMatch(/v1,[A-Za-z0-9+/]{20,}/);
  }, 60_000);
});
