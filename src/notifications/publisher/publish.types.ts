import type { EntityManager } from 'typeorm';
import type { TraceContext } from '../tracing/trace-context';

/** The message when a payload is not a JSON object. */
export const PAYLOAD_NOT_OBJECT =
  'payload must be a JSON object, not an array, a string, a number, a boolean or null';

/** What to publish. */
export interface PublishInput {
  /** The tenant that owns the event. */
  tenantId: string;
  /** Dot-separated lowercase words, e.g. `order.shipped`. */
  topic: string;
  /**
   * Any JSON object; delivered as the webhook body's `data` and the long-poll event's `payload`.
   * At most `maxPayloadBytes` serialized and `MAX_JSON_DEPTH` (64) levels deep, with no U+0000 or
   * lone surrogate in its text, no non-finite number and no `__proto__` key (`validation_failed`).
   */
  payload: Record<string, unknown>;
}

/** How to publish. */
export interface PublishOptions {
  /**
   * The caller's transaction. The event is written with it, so it exists exactly when that
   * transaction commits. Without it, the event is written in a transaction of its own.
   */
  manager?: EntityManager;
  /** Publishing again with the same key (per tenant) returns the first event instead of a new one. */
  idempotencyKey?: string;
  /** Deliver the event to this one subscription only, whatever its topics (test events). */
  targetSubscriptionId?: string;
  /**
   * The trace the event continues, instead of the active context: e.g. the `traceparent` and
   * `tracestate` headers of a request this process received without HTTP instrumentation. An
   * invalid `traceparent` is ignored (the active context is used), as W3C Trace Context says.
   */
  traceContext?: TraceContext;
}

/** The event as written (or as first written, for a repeated idempotency key). */
export interface PublishedEvent {
  /** The event's id (a UUIDv7), the `webhook-id` of its deliveries. */
  id: string;
  /** The tenant it was published for. */
  tenantId: string;
  /** Its topic, as published. */
  topic: string;
  /** When it was written (not when it was sequenced). */
  createdAt: Date;
  /** True when the idempotency key had been used before and this is the original event. */
  replayed: boolean;
}

/** How to publish an event of a declared type: {@link PublishOptions} and the tenant. */
export interface TypedPublishOptions extends PublishOptions {
  /** The tenant that owns the event. */
  tenantId: string;
}
