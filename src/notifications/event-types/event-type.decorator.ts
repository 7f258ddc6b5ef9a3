import type { EventTypeDeclaration, EventTypeOptions } from './event-type.types';

/** The declarations `@EventType` attached, by class. */
const DECLARED = new WeakMap<object, EventTypeDeclaration>();

/**
 * Declares a class as the payload of event type `name` (a topic, no wildcards). Its
 * class-validator decorators give the payload's JSON Schema (through class-validator-jsonschema)
 * unless `options.schema` is given. List the class in the module's `eventTypes`; extend
 * {@link EventPayload} to publish it with the typed `publish(OrderCreated, payload, options)`.
 */
export function EventType(name: string, options: EventTypeOptions = {}): ClassDecorator {
  return (target) => {
    DECLARED.set(target, { ...options, name });
  };
}

/** What `@EventType` declared on `type`, or undefined for a class it did not decorate. */
export function declaredEventType(type: unknown): EventTypeDeclaration | undefined {
  return typeof type === 'function' ? DECLARED.get(type) : undefined;
}
