import type { EventTypeOptions, EventTypeToken, JsonSchema } from './event-type.types';

/**
 * Declares an event type with an explicit JSON Schema and its payload type `T`, for the module's
 * `eventTypes` and the typed publish:
 *
 * ```ts
 * const InvoicePaid = defineEventType<{ invoiceId: string; amount: number }>({
 *   name: 'invoice.paid',
 *   schema: { type: 'object', required: ['invoiceId', 'amount'], properties: { ... } },
 * });
 * await publisher.publish(InvoicePaid, { invoiceId, amount }, { tenantId });
 * ```
 *
 * The schema is what runs; `T` is what the compiler checks, so keep the two in step.
 */
export function defineEventType<T extends object>(
  declaration: EventTypeOptions & { name: string; schema: JsonSchema },
): EventTypeToken<T> {
  return { ...declaration };
}
