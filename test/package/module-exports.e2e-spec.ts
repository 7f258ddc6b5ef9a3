import { BullModule } from '@nestjs/bull';
import { Module, type INestApplicationContext, type Type } from '@nestjs/common';
import { INJECTABLE_WATERMARK, MODULE_METADATA } from '@nestjs/common/constants';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import * as herald from 'nestjs-herald';
import { createTestDatabase, type TestDatabase } from '../utils/test-database';
import { TEST_ENCRYPTION_KEY } from '../utils/test-app';
import { TEST_REDIS_URL } from '../utils/test-env';

/** Every class the package entry exports that Nest can inject. */
const documentedServices = Object.values(herald).filter(
  (value): value is Type =>
    typeof value === 'function' && Reflect.hasMetadata(INJECTABLE_WATERMARK, value),
);

describe("the module's exports to a host's injector", () => {
  let db: TestDatabase;
  let app: INestApplicationContext | undefined;
  const prefix = `herald-module-exports-${process.pid}`;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('are exactly the services the package entry exports', () => {
    const exported = Reflect.getMetadata(MODULE_METADATA.EXPORTS, herald.NotificationsModule) as [];
    expect(new Set(exported)).toEqual(new Set(documentedServices));
    expect(documentedServices).toEqual(
      expect.arrayContaining([
        herald.NotificationPublisher,
        herald.TenantsService,
        herald.ApiKeysService,
      ]),
    );
  });

  it("are each injected into a host's own provider", async () => {
    const INJECTED = Symbol('injected');
    @Module({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url, autoLoadEntities: true }),
        BullModule.forRoot({ url: TEST_REDIS_URL, prefix }),
        herald.NotificationsModule.forRoot({
          encryptionKey: TEST_ENCRYPTION_KEY,
          http: false,
          runWorker: false,
          runSequencer: false,
        }),
      ],
      providers: [
        {
          provide: INJECTED,
          inject: documentedServices,
          useFactory: (...services: unknown[]) => services,
        },
      ],
    })
    class HostModule {}
    app = await NestFactory.createApplicationContext(HostModule, {
      logger: false,
      abortOnError: false,
    });
    const injected = app.get<unknown[]>(INJECTED);
    expect(injected.map((service, i) => service instanceof documentedServices[i])).toEqual(
      documentedServices.map(() => true),
    );
  });
});
