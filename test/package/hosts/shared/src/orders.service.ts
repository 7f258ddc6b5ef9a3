import { Injectable } from '@nestjs/common';
import { NotificationPublisher } from 'nestjs-herald';
import { DataSource, type EntityManager } from 'typeorm';
import { Order } from './order.entity';

/** Thrown inside the transaction to roll it back. */
export class CardDeclined extends Error {}

@Injectable()
export class OrdersService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly publisher: NotificationPublisher,
  ) {}

  /** Saves the order and its `order.created` event with the host's `EntityManager`: both or neither. */
  placeOrder(tenantId: string, totalCents: number, decline: boolean): Promise<Order> {
    return this.dataSource.transaction(async (manager: EntityManager) => {
      const order = await manager.save(manager.create(Order, { tenantId, totalCents }));
      await this.publisher.publish(
        { tenantId, topic: 'order.created', payload: { orderId: order.id, totalCents } },
        { manager, idempotencyKey: `order-${order.id}` },
      );
      if (decline) throw new CardDeclined('card declined');
      return order;
    });
  }
}
