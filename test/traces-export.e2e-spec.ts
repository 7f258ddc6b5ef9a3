import request from 'supertest';
import { createSubscription } from './utils/create-subscription';
import { createTenant } from './utils/create-tenant';
import { expectEventually } from './utils/expect-eventually';
import { startRecordingReceiver, type RecordingReceiver } from './utils/recording-receiver';
import { spawnHerald, type HeraldProcess } from './utils/spawn-herald';
import { stopHerald } from './utils/stop-herald';
import { TEST_ADMIN_TOKEN } from './utils/test-app';
import { createTestDatabase, type TestDatabase } from './utils/test-database';

describe('the service exports traces over OTLP/HTTP', () => {
  let db: TestDatabase;
  let collector: RecordingReceiver;
  let webhooks: RecordingReceiver;
  let herald: HeraldProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    [collector, webhooks] = await Promise.all([startRecordingReceiver(), startRecordingReceiver()]);
    collector.respond = () => 200;
  });

  afterAll(async () => {
    if (herald) await stopHerald(herald, 'SIGKILL');
    await Promise.all([collector?.close(), webhooks?.close()]);
    await db?.drop();
  });

  it('sends its spans to OTEL_EXPORTER_OTLP_ENDPOINT, the last ones when it shuts down', async () => {
    herald = await spawnHerald(db.url, {
      OTEL_EXPORTER_OTLP_ENDPOINT: new URL(collector.url).origin,
      OTEL_SERVICE_NAME: 'herald-under-test',
      // Batches go out every 30 s: what arrives before that was sent by the shutdown's flush.
      OTEL_BSP_SCHEDULE_DELAY: '30000',
    });
    expect(herald.output()).toContain('Exporting traces over OTLP/HTTP');
    const endpoint = { baseUrl: herald.baseUrl, adminToken: TEST_ADMIN_TOKEN };
    const tenant = await createTenant(endpoint);
    await createSubscription(endpoint, tenant, webhooks.url, ['order.*']);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await request(herald.baseUrl)
      .post('/v1/events')
      .set(tenant.auth)
      .set('traceparent', `00-${traceId}-00f067aa0ba902b7-01`)
      .send({ topic: 'order.created', payload: {} })
      .expect(201);
    await expectEventually(() => expect(webhooks.requests).toHaveLength(1));
    expect(webhooks.requests[0].headers.traceparent).toMatch(`00-${traceId}-`);
    expect(collector.requests).toHaveLength(0);

    expect(await stopHerald(herald)).toBe(0);
    const exported = collector.requests.filter((sent) => sent.body.includes('herald publish'));
    expect(exported.length).toBeGreaterThan(0);
    expect(exported.map((sent) => sent.path)).toEqual(exported.map(() => '/v1/traces'));
    const body = exported.map((sent) => sent.body).join('\n');
    expect(body).toContain('herald deliver');
    expect(body).toContain('herald-under-test');
    // OTLP/JSON carries ids as hex.
    expect(body.toLowerCase()).toContain(traceId);
  });
});
