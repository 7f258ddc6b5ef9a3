/**
 * Herald's public surface (`nestjs-herald`): everything a host imports comes from here. The
 * consumer client has an entry of its own, `nestjs-herald/client`, free of Nest and TypeORM.
 * @packageDocumentation
 */
export { NotificationsModule } from './notifications.module';
export type { NotificationsModuleExtras } from './notifications.module-definition';
export type { EncryptionKey, NotificationsModuleOptions } from './notifications.options';
export { parseEncryptionKey } from './webhooks/secrets/secret-box';
export type { RateLimitRule } from './limits/rate-limit-rule';
export type { ResolveHost } from './webhooks/destinations/destination-guard';
export { NotificationPublisher } from './publisher/notification-publisher';
export type { PublishInput, PublishOptions, PublishedEvent } from './publisher/publish.types';
export type { TraceContext } from './tracing/trace-context';
export { NotificationsError, NotificationsErrorCode } from './notifications.errors';
export { EventTypeCatalog } from './event-types/event-type-catalog';
export { EventType } from './event-types/event-type.decorator';
export { defineEventType } from './event-types/define-event-type';
export {
  EventPayload,
  type EventData,
  type EventTypeClass,
  type EventTypeDeclaration,
  type EventTypeOptions,
  type EventTypeSource,
  type EventTypeToken,
  type EventTypeView,
  type JsonSchema,
} from './event-types/event-type.types';
export { TenantsService } from './tenants/tenants.service';
export type { TenantEntity } from './tenants/tenant.entity';
export { ApiKeysService, type CreatedApiKey } from './tenants/api-keys.service';
export {
  PortalSessionsService,
  type PortalLink,
  type PortalSessionOptions,
} from './tenants/portal-sessions.service';
export { NOTIFICATIONS_ENTITIES } from './database/notifications.entities';
export { NOTIFICATIONS_MIGRATIONS } from './database/notifications.migrations';
export type { Clock } from './clock';
export { DELIVERY_QUEUE } from './notifications.constants';
export { HeraldExceptionFilter } from './http/herald-exception.filter';
export type { ErrorBody } from './http/error-body';
export { DeliveryQueueHealth } from './webhooks/delivery/delivery-queue-health';
export { secretsEqual } from './tenants/api-key-secret';
export { bearerToken } from './tenants/bearer-token';
export { toOpenApi31 } from './openapi/to-openapi-31';
export { addEventTypesToDocument } from './openapi/add-event-types-to-document';
