import { Inject, Injectable } from '@nestjs/common';
import { DeliveryQueue } from './delivery-queue';

/**
 * The Redis connection of Herald's delivery queue, for a host's readiness check: the connection
 * settings are the host's (`BullModule.forRoot`), the queue and its client are the module's.
 */
@Injectable()
export class DeliveryQueueHealth {
  constructor(@Inject(DeliveryQueue) private readonly queue: DeliveryQueue) {}

  /**
   * Resolves when Redis answers a PING on the queue's connection within `timeoutMs`; rejects,
   * saying why, when it does not (the client would otherwise wait for Redis to come back).
   */
  ping(timeoutMs = 1000): Promise<void> {
    return this.queue.ping(timeoutMs);
  }
}
