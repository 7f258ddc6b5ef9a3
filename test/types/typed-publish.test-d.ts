/**
 * Compile-time checks of the typed publish, run by `npm run typecheck`: the accepted forms type
 * as they should, and every `@ts-expect-error` line must fail to compile (else tsc reports the
 * directive as unused). `src/notifications/publisher/typed-publish.spec.ts` also compiles this
 * file without the directives, to show each of those lines fails.
 */
import { IsInt, IsOptional, IsString, Min } from 'class-validator';
import { expectTypeOf } from 'expect-type';
import type { EntityManager } from 'typeorm';
import {
  defineEventType,
  EventPayload,
  EventType,
  type EventData,
  type NotificationPublisher,
  type PublishedEvent,
} from '../../src/notifications';

@EventType('order.created', { description: 'An order was placed' })
class OrderCreated extends EventPayload {
  @IsString()
  orderId!: string;

  @IsInt()
  @Min(0)
  amount!: number;

  @IsOptional()
  @IsString()
  note?: string;

  /** Methods are not part of the payload. */
  summary(): string {
    return `${this.orderId}: ${this.amount}`;
  }
}

/** A class with the same shape, not declared as an event type. */
class OrderDto {
  orderId!: string;
  amount!: number;
}

const InvoicePaid = defineEventType<{ invoiceId: string; amount: number }>({
  name: 'invoice.paid',
  schema: { type: 'object', required: ['invoiceId', 'amount'] },
});

export function typedPublishChecks(p: NotificationPublisher, manager: EntityManager): void {
  const to = { tenantId: '0192f0a4-6b1e-7c3a-9d2e-5f6a7b8c9d0e' };

  // The payload of a class is its data properties, optional ones optional.
  expectTypeOf<EventData<OrderCreated>>().toEqualTypeOf<{
    orderId: string;
    amount: number;
    note?: string;
  }>();
  expectTypeOf(p.publish(OrderCreated, { orderId: 'o1', amount: 5 }, to)).toEqualTypeOf<
    Promise<PublishedEvent>
  >();
  void p.publish(OrderCreated, { orderId: 'o1', amount: 5, note: 'gift' }, to);
  void p.publish(
    OrderCreated,
    { orderId: 'o1', amount: 5 },
    { ...to, manager, idempotencyKey: 'order-o1', targetSubscriptionId: to.tenantId },
  );
  void p.publish(InvoicePaid, { invoiceId: 'i1', amount: 5 }, to);
  // The string form stays as it was.
  void p.publish({ ...to, topic: 'anything.at_all', payload: { any: ['thing'] } }, { manager });
  void p.publish({ ...to, topic: 'order.created', payload: {} });

  // @ts-expect-error a missing property
  void p.publish(OrderCreated, { orderId: 'o1' }, to);
  // @ts-expect-error a property of the wrong type
  void p.publish(OrderCreated, { orderId: 'o1', amount: '5' }, to);
  // @ts-expect-error an unknown extra property
  void p.publish(OrderCreated, { orderId: 'o1', amount: 5, coupon: 'X' }, to);
  // @ts-expect-error a class that is not an event type
  void p.publish(OrderDto, { orderId: 'o1', amount: 5 }, to);
  // @ts-expect-error no tenantId
  void p.publish(OrderCreated, { orderId: 'o1', amount: 5 }, {});
  // @ts-expect-error a token's payload of the wrong shape
  void p.publish(InvoicePaid, { invoiceId: 'i1' }, to);
}
