import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bull';
import { setTimeout as delay } from 'node:timers/promises';
import { DELIVERY_QUEUE } from '../../notifications.constants';

/** The one place that touches the Bull queue of webhook deliveries. */
@Injectable()
export class DeliveryQueue {
  constructor(@InjectQueue(DELIVERY_QUEUE) private readonly queue: Queue) {}

  /**
   * Round trip to Redis. Rejects when Redis does not answer within `timeoutMs`: the client queues
   * commands while disconnected, so without a limit a ping would wait for Redis to come back.
   */
  async ping(timeoutMs = 1000): Promise<void> {
    const abort = new AbortController();
    try {
      await Promise.race([
        this.queue.client.ping(),
        delay(timeoutMs, undefined, { signal: abort.signal }).then(() => {
          throw new Error(`Redis did not answer within ${timeoutMs} ms`);
        }),
      ]);
    } finally {
      abort.abort();
    }
  }
}
