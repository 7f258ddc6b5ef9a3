import { ConfigurableModuleBuilder } from '@nestjs/common';
import { EventTypesController } from './event-types/event-types.controller';
import { EventsController } from './events/events.controller';
import { HTTP_MOUNTED } from './notifications.constants';
import type { NotificationsModuleOptions } from './notifications.options';
import { PortalSessionsController } from './tenants/portal-sessions.controller';
import { TenantsController } from './tenants/tenants.controller';
import { DeliveriesController } from './webhooks/delivery/deliveries.controller';
import { SubscriptionsController } from './webhooks/subscriptions/subscriptions.controller';

/** Static choices that shape the module itself rather than its providers. */
export interface NotificationsModuleExtras {
  /** Mount Herald's REST controllers (`/v1/...`). Default true. */
  http: boolean;
}

/** Herald's REST controllers, mounted unless `http: false`. */
export const NOTIFICATIONS_CONTROLLERS = [
  TenantsController,
  PortalSessionsController,
  EventsController,
  EventTypesController,
  SubscriptionsController,
  DeliveriesController,
];

export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: NOTIFICATIONS_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<NotificationsModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras<NotificationsModuleExtras>({ http: true }, (definition, extras) => ({
    ...definition,
    controllers: extras.http ? NOTIFICATIONS_CONTROLLERS : [],
    providers: [...(definition.providers ?? []), { provide: HTTP_MOUNTED, useValue: extras.http }],
  }))
  .build();
