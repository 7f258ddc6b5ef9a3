import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiKeysService, TenantsService } from 'herald';
import request from 'supertest';
import { HostAppModule } from '../examples/host-app/host-app.module';
import { OrdersService } from '../examples/host-app/orders.service';
import { expectEventually } from './utils/expect-eventually';
import { pgQuery } from './utils/pg-query';
import { createTestDatabase, type TestDatabase } from './utils/test-database';
import { TEST_REDIS_URL } from './utils/test-env';

describe('embedding the module in a host app', () => {
  let db: TestDatabase;
  let host: INestApplication;
  let baseUrl: string;

  beforeAll(async () => {
    // An empty database: the host's own migrations bring Herald's schema.
    db = await createTestDatabase({ empty: true });
    host = await NestFactory.create(HostAppModule.forRoot(db.url, TEST_REDIS_URL), {
      logger: ['error', 'warn'],
    });
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

  it('the README shows the example code as it is compiled and tested here', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    for (const file of ['orders.service.ts', 'host-app.module.ts']) {
      const source = readFileSync(join(__dirname, '..', 'examples', 'host-app', file), 'utf8');
      expect(readme).toContain(source.trim());
    }
  });
});
