import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NotificationPublisher } from 'nestjs-herald';
import { Order } from './order.entity';

@Injectable()
export class OrdersService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly publisher: NotificationPublisher,
  ) {}

  /** Saves the order and its `order.created` event in one transaction: both or neither. */
  placeOrder(tenantId: string, totalCents: number, check?: (order: Order) => void): Promise<Order> {
    return this.dataSource.transaction(async (manager) => {
      const order = await manager.save(manager.create(Order, { tenantId, totalCents }));
      await this.publisher.publish(
        { tenantId, topic: 'order.created', payload: { orderId: order.id, totalCents } },
        { manager, idempotencyKey: `order-${order.id}` },
      );
      check?.(order); // a throw here rolls back the order and the event together
      return order;
    });
  }
}
