import { BullModule } from '@nestjs/bull';
import { Module, type INestApplication } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { NestFactory } from '@nestjs/core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ApiKeysService,
  NotificationPublisher,
  NotificationsError,
  NotificationsErrorCode,
  NotificationsModule,
  TenantsService,
  type NotificationsModuleOptions,
} from 'nestjs-herald';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { HostAppModule } from '../examples/host-app/host-app.module';
import { OrdersService } from '../examples/host-app/orders.service';
import { expectEventually } from './utils/expect-eventually';
import { pgQuery } from './utils/pg-query';
import { createTestDatabase, type TestDatabase } from './utils/test-database';
import { TEST_ENCRYPTION_KEY } from './utils/test-app';
import { TEST_REDIS_URL } from './utils/test-env';

describe('embedding the module in a host app', () => {
  let db: TestDatabase;
  let host: INestApplication;
  let baseUrl: string;

  beforeAll(async () => {
    // An empty database: the host's own migrations bring Herald's schema.
    db = await createTestDatabase({ empty: true });
    host = await NestFactory.create(
      HostAppModule.forRoot(db.url, TEST_REDIS_URL, TEST_ENCRYPTION_KEY),
      {
        logger: ['error', 'warn'],
      },
    );
    await host.listen(0, '127.0.0.1');
    baseUrl = await host.getUrl();
  });

  afterAll(async () => {
    await host?.close();
    await db?.drop();
  });

  const eventsOf = (tenantId: string) =>
    pgQuery<{ id: string; topic: string; payload: { orderId: string } }>(
      db.url,
      'SELECT id, topic, payload FROM herald.events WHERE tenant_id = $1',
      [tenantId],
    );

  it('rolls the event back with the host transaction, and commits it with it', async () => {
    const tenant = await host.get(TenantsService).create('shop');
    const orders = host.get(OrdersService);

    await expect(
      orders.placeOrder(tenant.id, 500, () => {
        throw new Error('card declined');
      }),
    ).rejects.toThrow('card declined');
    expect(await eventsOf(tenant.id)).toEqual([]);
    expect(
      await pgQuery(db.url, 'SELECT * FROM orders WHERE "tenantId" = $1', [tenant.id]),
    ).toEqual([]);

    const order = await orders.placeOrder(tenant.id, 1200);
    const events = await eventsOf(tenant.id);
    expect(events).toEqual([
      {
        id: expect.any(String),
        topic: 'order.created',
        payload: { orderId: order.id, totalCents: 1200 },
      },
    ]);

    // Readable through the module's own API with a key the host issued.
    const { key } = await host.get(ApiKeysService).create(tenant.id);
    await expectEventually(async () => {
      const page = await request(baseUrl)
        .get('/v1/events?after=0&wait=0')
        .set('Authorization', `Bearer ${key}`)
        .expect(200);
      expect(page.body.events.map((event: { id: string }) => event.id)).toEqual([events[0].id]);
    });
  });

  it("marks the module's answers nosniff and no-store by itself, the host registering nothing", async () => {
    const tenant = await host.get(TenantsService).create('headers');
    const { key } = await host.get(ApiKeysService).create(tenant.id);
    const answers = [
      await request(baseUrl).get('/v1/subscriptions').set('Authorization', `Bearer ${key}`),
      await request(baseUrl).get('/v1/subscriptions'),
      await request(baseUrl)
        .post('/v1/subscriptions')
        .set('Authorization', `Bearer ${key}`)
        .send({ url: 'not a url', topics: [] }),
    ];
    // A success and two refusals (whatever status the host gives them).
    expect(answers.map((answer) => answer.status >= 400)).toEqual([false, true, true]);
    for (const answer of answers) {
      expect(answer.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-store',
      });
      // Nothing of the standalone service's own headers: these came from the module.
      expect(answer.headers['x-frame-options']).toBeUndefined();
    }
  });

  it('refuses an unknown tenant inside the host transaction with tenant_not_found, writing nothing', async () => {
    const unknownTenant = '00000000-0000-4000-8000-00000000dead';
    const publisher = host.get(NotificationPublisher);
    const before = await pgQuery(db.url, 'SELECT count(*)::int AS n FROM herald.events');
    for (const idempotencyKey of [undefined, 'order-unknown-tenant']) {
      const error: unknown = await host
        .get(DataSource)
        .transaction((manager) =>
          publisher.publish(
            { tenantId: unknownTenant, topic: 'order.created', payload: {} },
            { manager, idempotencyKey },
          ),
        )
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(NotificationsError);
      expect((error as NotificationsError).code).toBe(NotificationsErrorCode.TenantNotFound);
    }
    expect(await pgQuery(db.url, 'SELECT count(*)::int AS n FROM herald.events')).toEqual(before);
  });

  it('publishes for a tenant the host creates in the same transaction', async () => {
    const tenantId = await host.get(DataSource).transaction(async (manager) => {
      const [tenant] = await manager.query<{ id: string }[]>(
        `INSERT INTO herald.tenants (name) VALUES ('born with its first event') RETURNING id`,
      );
      await host
        .get(NotificationPublisher)
        .publish({ tenantId: tenant.id, topic: 'tenant.created', payload: {} }, { manager });
      return tenant.id;
    });
    expect(await eventsOf(tenantId)).toEqual([
      { id: expect.any(String), topic: 'tenant.created', payload: {} },
    ]);
  });

  it('deleting a tenant by hand deletes its events, as the foreign key did', async () => {
    const tenant = await host.get(TenantsService).create('closing down');
    await host
      .get(NotificationPublisher)
      .publish({ tenantId: tenant.id, topic: 'order.created', payload: {} });
    expect(await eventsOf(tenant.id)).toHaveLength(1);
    await pgQuery(db.url, 'DELETE FROM herald.tenants WHERE id = $1', [tenant.id]);
    expect(await eventsOf(tenant.id)).toEqual([]);
  });

  it('the README shows the example code as it is compiled and tested here', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    for (const file of ['orders.service.ts', 'host-app.module.ts']) {
      const source = readFileSync(join(__dirname, '..', 'examples', 'host-app', file), 'utf8');
      expect(readme).toContain(source.trim());
    }
  });
});

describe('the module without an encryption key', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(() => db?.drop());

  /** A bare host: its own TypeORM and Bull, and the module with `options`. */
  const hostWith = (options: NotificationsModuleOptions, http: boolean) => {
    @Module({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url, autoLoadEntities: true }),
        BullModule.forRoot({ url: TEST_REDIS_URL, prefix: `herald-embed-${process.pid}` }),
        NotificationsModule.forRoot({ ...options, http }),
      ],
    })
    class KeylessHost {}
    return NestFactory.createApplicationContext(KeylessHost, { logger: false });
  };

  // Refused when the module is declared, before the host connects to anything.
  it('refuses to start when the worker or the routes would need one, saying how to make one', () => {
    expect(() => hostWith({}, true)).toThrow(
      /needs an encryptionKey .*the worker and the HTTP routes.*openssl rand -base64 32/,
    );
    expect(() => hostWith({ runWorker: false }, true)).toThrow(/the HTTP routes use them/);
    expect(() => hostWith({}, false)).toThrow(/the worker use them/);
  });

  it('starts to publish only, with neither the worker nor the routes', async () => {
    const app = await hostWith({ runWorker: false, runSequencer: false }, false);
    try {
      const tenant = await app.get(TenantsService).create('publish only');
      const event = await app
        .get(NotificationPublisher)
        .publish({ tenantId: tenant.id, topic: 'order.created', payload: {} });
      expect(event.id).toEqual(expect.any(String));
    } finally {
      await app.close();
    }
  });

  it('refuses a key that is not 32 bytes, naming the option', () => {
    expect(() => hostWith({ encryptionKey: ['ab'.repeat(32), 'short'] }, true)).toThrow(
      /encryptionKey\[1\]: the encryption key decodes to 3 bytes; it must be 32 bytes/,
    );
  });
});
