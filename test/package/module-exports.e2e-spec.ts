import { BullModule } from '@nestjs/bull';
import { Module, type Type } from '@nestjs/common';
import { CATCH_WATERMARK, INJECTABLE_WATERMARK, MODULE_METADATA } from '@nestjs/common/constants';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import * as herald from 'nestjs-herald';
import { TEST_ENCRYPTION_KEY } from '../utils/test-app';

/** Every class the package entry exports that Nest can inject (filters are applied, not injected). */
const documentedServices = Object.values(herald).filter(
  (value): value is Type =>
    typeof value === 'function' &&
    Reflect.hasMetadata(INJECTABLE_WATERMARK, value) &&
    !Reflect.hasMetadata(CATCH_WATERMARK, value),
);

describe("the module's exports to a host's injector", () => {
  it('are exactly the services the package entry exports', () => {
    const exported = Reflect.getMetadata(MODULE_METADATA.EXPORTS, herald.NotificationsModule) as [];
    expect(new Set(exported)).toEqual(new Set(documentedServices));
    expect(documentedServices).toEqual(
      expect.arrayContaining([
        herald.NotificationPublisher,
        herald.TenantsService,
        herald.ApiKeysService,
        herald.PortalSessionsService,
      ]),
    );
  });

  it("can each be injected into a host's own provider", async () => {
    @Module({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', autoLoadEntities: true }),
        BullModule.forRoot({}),
        herald.NotificationsModule.forRoot({ encryptionKey: TEST_ENCRYPTION_KEY }),
      ],
      providers: [
        {
          provide: 'host service',
          inject: documentedServices,
          useFactory: (...services: unknown[]) => services,
        },
      ],
    })
    class HostModule {}
    // Preview: Nest resolves every dependency, and throws on one it cannot, without creating any
    // provider, so nothing connects to Postgres or Redis.
    const app = await NestFactory.createApplicationContext(HostModule, {
      logger: false,
      abortOnError: false,
      preview: true,
    });
    await app.close();
  });
});
