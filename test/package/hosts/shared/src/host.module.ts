import { BullModule } from '@nestjs/bull';
import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { NOTIFICATIONS_MIGRATIONS, NotificationsModule } from 'nestjs-herald';
import { CreateOrders1763800000000 } from './create-orders.migration';
import type { HostEnv } from './host-env';
import { Order } from './order.entity';
import { OrdersService } from './orders.service';
import { ShopController } from './shop.controller';

/** A stranger's app: its own TypeORM, Bull and routes, and Herald's module with nothing else. */
@Module({})
export class HostModule {
  static forRoot(env: HostEnv): DynamicModule {
    return {
      module: HostModule,
      imports: [
        TypeOrmModule.forRoot({
          type: 'postgres',
          url: env.databaseUrl,
          autoLoadEntities: true,
          migrations: [...NOTIFICATIONS_MIGRATIONS, CreateOrders1763800000000],
          migrationsRun: true,
        }),
        TypeOrmModule.forFeature([Order]),
        BullModule.forRoot({ url: env.redisUrl, prefix: env.queuePrefix }),
        NotificationsModule.forRoot({
          adminToken: env.adminToken,
          encryptionKey: env.encryptionKey,
          // The test's webhook receiver listens on 127.0.0.1.
          allowedDestinations: ['127.0.0.0/8'],
          // Expired events go within a second of expiring, so the test need not wait a minute.
          retentionInterval: 1000,
        }),
      ],
      controllers: [ShopController],
      providers: [OrdersService],
    };
  }
}
