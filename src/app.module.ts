import { BullModule } from '@nestjs/bull';
import { type DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Registry } from 'prom-client';
import type { SettledConfig } from './config/herald-config';
import { buildDataSourceOptions } from './database/data-source-options';
import { HEALTH_CHECKS_REDIS } from './health/health.constants';
import { HealthController } from './health/health.controller';
import { METRICS_REGISTRY } from './metrics/metrics.constants';
import { MetricsController } from './metrics/metrics.controller';
import { RedisHealthIndicator } from './health/redis.health';
import { NotificationsModule, type NotificationsModuleOptions } from './notifications';
import { OperatorViewModule } from './operator-view/operator-view.module';
import { PortalModule } from './portal/portal.module';

/** What the standalone service is built from; tests add their own overrides. */
export interface AppOptions {
  config: SettledConfig;
  /** Options the environment does not set (intervals, clock); tests use them. */
  notifications?: Partial<NotificationsModuleOptions>;
  /** Prefix of Bull's Redis keys; tests give each app its own. */
  queuePrefix?: string;
}

/** The standalone service: a host app that imports Herald's module, like any other host. */
@Module({})
export class AppModule {
  static forRoot({ config, notifications, queuePrefix = 'herald' }: AppOptions): DynamicModule {
    const roles = config.roles;
    const metricsRegistry = new Registry();
    return {
      module: AppModule,
      imports: [
        TypeOrmModule.forRoot({
          ...buildDataSourceOptions(config.databaseUrl),
          autoLoadEntities: true,
        }),
        BullModule.forRoot({
          url: config.redisUrl,
          prefix: queuePrefix,
          // Bull's default reconnect backoff is e^n ms up to 20 s: webhooks stalled that long after
          // Redis is back. A flat 2 s ceiling reconnects within 2 s.
          redis: { retryStrategy: (times: number) => Math.min(times * 200, 2000) },
        }),
        NotificationsModule.forRoot({
          adminToken: config.adminToken,
          publicUrl: config.publicUrl,
          runSequencer: roles.has('sequencer'),
          runWorker: roles.has('worker'),
          retention: config.retention,
          longPollMaxWait: config.longPollMaxWait,
          publishRateLimit: config.publishRateLimit,
          managementRateLimit: config.managementRateLimit,
          readRateLimit: config.readRateLimit,
          maxPageBytes: config.maxPageBytes,
          maxHeldPollsPerTenant: config.maxHeldPollsPerTenant,
          maxSubscriptionsPerTenant: config.maxSubscriptionsPerTenant,
          maxInFlightPerTenant: config.maxInFlightPerTenant,
          encryptionKey: config.encryptionKeys,
          encryptionKeySource: 'HERALD_ENCRYPTION_KEY',
          retrySchedule: config.retrySchedule,
          fastRetries: config.fastRetries,
          deliveryTimeout: config.deliveryTimeout,
          disableAfter: config.disableAfter,
          allowedDestinations: config.allowedDestinations,
          sweepInterval: config.sweepInterval,
          shutdownGrace: config.shutdownGrace,
          strictEventTypes: config.strictEventTypes,
          http: roles.has('api'),
          metricsRegistry,
          ...notifications,
        }),
        TerminusModule,
        // Pages for people: the consumer portal and the operator's queue view (Bull always has
        // Redis in this app), on processes that serve HTTP.
        ...(roles.has('api') ? [PortalModule, OperatorViewModule.forRoot(config.adminToken)] : []),
      ],
      controllers: [HealthController, MetricsController],
      providers: [
        RedisHealthIndicator,
        { provide: HEALTH_CHECKS_REDIS, useValue: roles.has('worker') || roles.has('sequencer') },
        { provide: METRICS_REGISTRY, useValue: metricsRegistry },
      ],
    };
  }
}
