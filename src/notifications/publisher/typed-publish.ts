import type { EventTypeCatalog } from '../event-types/event-type-catalog';
import { declaredEventType } from '../event-types/event-type.decorator';
import type { EventTypeDeclaration } from '../event-types/event-type.types';
import { NotificationsError, NotificationsErrorCode } from '../notifications.errors';
import type { PublishInput, PublishOptions, TypedPublishOptions } from './publish.types';

/** What `publish` takes: `(input, options?)`, or `(type, payload, options)`. */
export type PublishArguments =
  | [input: PublishInput, options?: PublishOptions]
  | [type: object, payload: Record<string, unknown>, options: TypedPublishOptions];

/**
 * The string form of a publish: `(input, options?)` as given; `(type, payload, options)` with the
 * topic of the type, which must be declared in code under that name.
 */
export function publishArguments(
  args: PublishArguments,
  catalog: EventTypeCatalog,
): [PublishInput, PublishOptions?] {
  if (args.length < 3) return args as [PublishInput, PublishOptions?];
  const [type, payload, { tenantId, ...options }] = args as [
    object,
    Record<string, unknown>,
    TypedPublishOptions,
  ];
  return [{ tenantId, topic: topicOf(type, catalog), payload }, options];
}

function topicOf(type: object, catalog: EventTypeCatalog): string {
  const declaration: EventTypeDeclaration | undefined =
    typeof type === 'function' ? declaredEventType(type) : (type as EventTypeDeclaration);
  const what = typeof type === 'function' ? `class ${type.name}` : 'this event type';
  if (!declaration || typeof declaration.name !== 'string') {
    throw new NotificationsError(
      NotificationsErrorCode.UnknownEventType,
      `${what} has no @EventType decorator`,
    );
  }
  if (catalog.get(declaration.name)?.declaredIn !== 'code') {
    throw new NotificationsError(
      NotificationsErrorCode.UnknownEventType,
      `${what} (event type ${declaration.name}) is not among the module's eventTypes; list it there`,
    );
  }
  return declaration.name;
}
