import { BullModule } from '@nestjs/bull';
import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { NOTIFICATIONS_MIGRATIONS, NotificationsModule } from 'nestjs-herald';
import { CreateOrders1763800000000 } from './create-orders.migration';
import { Order } from './order.entity';
import { OrdersService } from './orders.service';

@Module({})
export class HostAppModule {
  /**
   * @param encryptionKey 32 bytes (base64 or hex) sealing webhook secrets; keep it with the host's
   *   other secrets, since secrets sealed under a lost key cannot be opened
   */
  static forRoot(databaseUrl: string, redisUrl: string, encryptionKey: string): DynamicModule {
    return {
      module: HostAppModule,
      imports: [
        TypeOrmModule.forRoot({
          type: 'postgres',
          url: databaseUrl,
          autoLoadEntities: true,
          migrations: [...NOTIFICATIONS_MIGRATIONS, CreateOrders1763800000000],
          migrationsRun: true,
        }),
        TypeOrmModule.forFeature([Order]),
        BullModule.forRoot({ url: redisUrl }),
        NotificationsModule.forRoot({ encryptionKey }),
      ],
      providers: [OrdersService],
    };
  }
}
