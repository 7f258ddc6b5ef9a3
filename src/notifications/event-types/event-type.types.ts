/** A JSON Schema (2020-12) object, as given or as generated from a class. */
export type JsonSchema = Record<string, unknown>;

/** An event type as the catalog shows it, wherever it was declared. */
export interface EventTypeView {
  /** The topic it describes, e.g. `order.created`: topic grammar, no wildcards. */
  name: string;
  description: string | null;
  /** The JSON Schema (2020-12) its payloads must match, or null when any object goes. */
  schema: JsonSchema | null;
  /** Still accepted; receivers are told to move off it. */
  deprecated: boolean;
  /** In the module options (`eventTypes`), or at run time by an admin (`PUT /v1/event-types/:name`). */
  declaredIn: 'code' | 'api';
}

/** What `@EventType(name, options)` and `defineEventType` take besides the name. */
export interface EventTypeOptions {
  /** What the event means, for the catalog and the OpenAPI document. */
  description?: string;
  /** Marks the type deprecated: still accepted, shown as such. */
  deprecated?: boolean;
  /**
   * The payload's JSON Schema (2020-12). On a class it wins over the schema its class-validator
   * decorators give.
   */
  schema?: JsonSchema;
}

/** An event type declared as a plain object in the module's `eventTypes`. */
export interface EventTypeDeclaration extends EventTypeOptions {
  /** The topic, e.g. `order.created`. */
  name: string;
}

/** Phantom key carrying a token's payload type; never present at run time. */
declare const PAYLOAD_TYPE: unique symbol;

/**
 * An event type made by {@link defineEventType}: a declaration for the module's `eventTypes` that
 * also carries the payload type `T`, for the typed `publish(token, payload, options)`.
 */
export interface EventTypeToken<T extends object> extends EventTypeDeclaration {
  /** What validates `T` at run time; required, as it is what tells a token from a class. */
  schema: JsonSchema;
  readonly [PAYLOAD_TYPE]?: T;
}

/** Brand of {@link EventPayload}; never present at run time. */
declare const EVENT_PAYLOAD: unique symbol;

/**
 * The base of an event-type class: `@EventType('order.created') class OrderCreated extends
 * EventPayload { ... }`. TypeScript cannot see decorators, so extending it is what tells the
 * compiler that a class is meant for the typed `publish(OrderCreated, payload, options)`; the
 * decorator gives it its name at run time. It adds nothing to the payload.
 */
export abstract class EventPayload {
  declare private readonly [EVENT_PAYLOAD]: true;
}

/** A class usable in the typed publish: one that extends {@link EventPayload}. */
export type EventTypeClass<T extends EventPayload = EventPayload> = abstract new (
  ...args: never[]
) => T;

/** The data properties of an event class: its non-function properties, optional ones optional. */
export type EventData<T> = Pick<
  T,
  {
    [K in keyof T]-?: K extends string
      ? T[K] extends (...args: never[]) => unknown
        ? never
        : K
      : never;
  }[keyof T]
>;

/** One item of the module's `eventTypes`: a class decorated with `@EventType`, or a declaration. */
export type EventTypeSource = (abstract new (...args: never[]) => object) | EventTypeDeclaration;
