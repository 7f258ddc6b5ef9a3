import { BullModule } from '@nestjs/bull';
import {
  Inject,
  Module,
  type DynamicModule,
  type MiddlewareConsumer,
  type NestModule,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ThrottlerStorageService, getOptionsToken, getStorageToken } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DELIVERY_QUEUE, HTTP_MOUNTED, RESOLVED_OPTIONS } from './notifications.constants';
import { apiResponseHeaders } from './http/api-response-headers';
import { ControlListener } from './common/postgres/control-listener';
import { DroppedConnectionListener } from './common/postgres/dropped-connection-listener';
import { answerBodyParserErrors } from './http/answer-body-parser-errors';
import { NOTIFICATIONS_ENTITIES } from './database/notifications.entities';
import { EventTypeCatalog } from './event-types/event-type-catalog';
import { EventTypesService } from './event-types/event-types.service';
import { EventLogService } from './events/event-log.service';
import { EventStreamService } from './events/event-stream.service';
import { LongPollService } from './events/long-poll.service';
import { SequencedListener } from './events/sequenced-listener';
import { WaiterRegistry } from './events/waiter-registry';
import { HeldPollLimiter } from './limits/held-poll-limiter';
import { RateLimitGuard } from './limits/rate-limit.guard';
import { ReadRateLimiter } from './limits/read-rate-limiter';
import { toThrottlerOptions } from './limits/throttler-options';
import { HeraldMetrics } from './metrics/herald-metrics';
import { ScrapeTimeGauges } from './metrics/scrape-time-gauges';
import { EventsService } from './events/events.service';
import {
  ConfigurableModuleClass,
  NOTIFICATIONS_CONTROLLERS,
  NOTIFICATIONS_MODULE_OPTIONS,
  type OPTIONS_TYPE,
} from './notifications.module-definition';
import {
  resolveNotificationsOptions,
  type NotificationsModuleOptions,
  type ResolvedNotificationsOptions,
} from './notifications.options';
import { NotificationPublisher } from './publisher/notification-publisher';
import { RetentionService } from './sequencer/retention.service';
import { HeraldTracing } from './tracing/herald-tracing';
import { SequencerService } from './sequencer/sequencer.service';
import { ApiKeyCache } from './tenants/api-key-cache';
import { ApiKeyGuard } from './tenants/api-key.guard';
import { ApiKeysService } from './tenants/api-keys.service';
import { ApiKeyHolds } from './tenants/api-key-holds';
import { ApiKeyRevocationListener } from './tenants/api-key-revocation-listener';
import { PortalSessionsService } from './tenants/portal-sessions.service';
import { TenantsService } from './tenants/tenants.service';
import { DeliveriesService } from './webhooks/delivery/deliveries.service';
import { DeliveryQueue } from './webhooks/delivery/delivery-queue';
import { DeliveryQueueHealth } from './webhooks/delivery/delivery-queue-health';
import { DeliveryProcessor } from './webhooks/delivery/delivery.processor';
import { DeliveryRecorder } from './webhooks/delivery/delivery-recorder';
import { DeliverySweeper } from './webhooks/delivery/delivery-sweeper';
import { DeliveryTelemetry } from './webhooks/delivery/delivery-telemetry';
import { DestinationGuard } from './webhooks/destinations/destination-guard';
import { ReplayPager } from './webhooks/delivery/replay-pager';
import { WebhookDispatcher } from './webhooks/delivery/webhook-dispatcher';
import { SubscriptionRateLimiter } from './webhooks/delivery/subscription-rate-limiter';
import { WebhookSender } from './webhooks/delivery/webhook-sender';
import { createSecretBox, requireEncryptionKey } from './webhooks/secrets/create-secret-box';
import { SecretBox } from './webhooks/secrets/secret-box';
import { SecretResealer } from './webhooks/subscriptions/secret-resealer';
import { SubscriptionsService } from './webhooks/subscriptions/subscriptions.service';

/**
 * Herald as a Nest module: the transactional outbox ({@link NotificationPublisher}), the
 * sequencer, and (unless `http: false`) the REST API. Needs the host's `TypeOrmModule.forRoot`
 * (Postgres) and `BullModule.forRoot`.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature(NOTIFICATIONS_ENTITIES),
    BullModule.registerQueue({ name: DELIVERY_QUEUE }),
  ],
  providers: [
    {
      provide: RESOLVED_OPTIONS,
      inject: [NOTIFICATIONS_MODULE_OPTIONS],
      useFactory: (options: NotificationsModuleOptions) => resolveNotificationsOptions(options),
    },
    DroppedConnectionListener,
    ControlListener,
    NotificationPublisher,
    EventTypeCatalog,
    EventTypesService,
    HeraldTracing,
    EventLogService,
    LongPollService,
    EventStreamService,
    WaiterRegistry,
    SequencedListener,
    HeraldMetrics,
    ScrapeTimeGauges,
    EventsService,
    SequencerService,
    RetentionService,
    TenantsService,
    ApiKeysService,
    {
      provide: ApiKeyCache,
      inject: [RESOLVED_OPTIONS],
      useFactory: (options: ResolvedNotificationsOptions) =>
        new ApiKeyCache(options.apiKeyCacheTtl, options.clock),
    },
    PortalSessionsService,
    ApiKeyHolds,
    ApiKeyRevocationListener,
    ApiKeyGuard,
    HeldPollLimiter,
    ReadRateLimiter,
    RateLimitGuard,
    // The throttler's providers, without ThrottlerModule: its options come from ours, and a host's
    // own ThrottlerModule (global) keeps its options and counters apart from Herald's.
    {
      provide: getOptionsToken(),
      inject: [RESOLVED_OPTIONS],
      useFactory: (options: ResolvedNotificationsOptions) => toThrottlerOptions(options),
    },
    { provide: getStorageToken(), useClass: ThrottlerStorageService },
    DeliveryQueue,
    DeliveryQueueHealth,
    {
      provide: DestinationGuard,
      inject: [RESOLVED_OPTIONS],
      useFactory: (options: ResolvedNotificationsOptions) =>
        new DestinationGuard(options.allowedDestinations, options.resolveHost),
    },
    {
      provide: SecretBox,
      inject: [RESOLVED_OPTIONS, HTTP_MOUNTED],
      useFactory: createSecretBox,
    },
    SecretResealer,
    SubscriptionsService,
    DeliveriesService,
    ReplayPager,
    DeliveryRecorder,
    WebhookSender,
    WebhookDispatcher,
    SubscriptionRateLimiter,
    DeliveryProcessor,
    DeliverySweeper,
    DeliveryTelemetry,
  ],
  // Exactly the injectable classes index.ts exports (test/package/module-exports.e2e-spec.ts).
  exports: [
    NotificationPublisher,
    EventTypeCatalog,
    TenantsService,
    ApiKeysService,
    PortalSessionsService,
    DeliveryQueueHealth,
  ],
})
export class NotificationsModule extends ConfigurableModuleClass implements NestModule {
  constructor(
    @Inject(HTTP_MOUNTED) private readonly httpMounted: boolean,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {
    super();
  }

  /**
   * Every answer of the mounted routes carries `nosniff` and `no-store`, and the host's body parser
   * refusing a body on them is answered as Herald's error: both set by the module itself, on
   * Express and Fastify alike. (Nest calls this before it registers any route.)
   */
  configure(consumer: MiddlewareConsumer): void {
    if (!this.httpMounted) return;
    answerBodyParserErrors(this.adapterHost.httpAdapter, NOTIFICATIONS_CONTROLLERS);
    consumer.apply(apiResponseHeaders).forRoutes(...NOTIFICATIONS_CONTROLLERS);
  }

  /**
   * The module with `options`. Options that cannot work (no encryption key while the worker or
   * the routes are on, a key that is not 32 bytes) throw here, before the host connects to
   * anything; `forRootAsync` checks the same when its factory has run.
   */
  static override forRoot(options: typeof OPTIONS_TYPE): DynamicModule {
    requireEncryptionKey(resolveNotificationsOptions(options), options.http ?? true);
    return super.forRoot(options);
  }
}
