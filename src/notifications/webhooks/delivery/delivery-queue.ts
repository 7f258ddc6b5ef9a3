import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger } from '@nestjs/common';
import type { Job, Queue } from 'bull';
import { within } from '../../common/within';
import { DELIVERY_QUEUE } from '../../notifications.constants';

/**
 * What a job carries: a delivery that may be due, and its subscription, whose due deliveries the
 * worker then claims in batches. The rows hold everything else.
 */
export interface DeliveryJob {
  deliveryId: string;
  subscriptionId: string;
}

/** A delivery to hint about: `attempts` is the number already made (it names the next attempt). */
export interface DeliveryHint {
  id: string;
  subscription_id: string;
  attempts: number;
}

/**
 * The one place that touches the Bull queue. Jobs are hints: the Postgres row is the truth, so a
 * hint that is lost (Redis down or flushed) only waits for the sweeper. A job id names one attempt
 * of one delivery (`<delivery>:<attempts made>`): two hints for the same attempt collapse into one,
 * and a job id left in Redis can never swallow a later attempt.
 */
@Injectable()
export class DeliveryQueue {
  private readonly logger = new Logger('HeraldDeliveryQueue');

  constructor(@InjectQueue(DELIVERY_QUEUE) private readonly queue: Queue<DeliveryJob>) {}

  /** Enqueues hints without waiting for Redis; never throws. */
  hint(deliveries: DeliveryHint[], delayMs = 0, suffix = ''): void {
    if (deliveries.length === 0) return;
    // While Redis is away the client would buffer every command in memory; the sweeper covers it.
    if (this.queue.client.status !== 'ready') return;
    const jobs = deliveries.map((delivery) => ({
      data: { deliveryId: delivery.id, subscriptionId: delivery.subscription_id },
      opts: {
        jobId: `${delivery.id}:${delivery.attempts}${suffix}`,
        delay: delayMs,
        removeOnComplete: true,
        removeOnFail: true,
      },
    }));
    this.queue.addBulk(jobs).catch((error: unknown) => {
      this.logger.warn(
        `Could not enqueue ${jobs.length} hint(s); the sweeper will: ${String(error)}`,
      );
    });
  }

  /** Runs `handler` for each job, `concurrency` at a time, in this process. */
  process(concurrency: number, handler: (job: DeliveryJob) => Promise<void>): void {
    void this.queue.process(concurrency, (job: Job<DeliveryJob>) => handler(job.data));
  }

  /** Jobs waiting, delayed and active: for metrics. */
  async depths(): Promise<{ waiting: number; delayed: number; active: number }> {
    const counts = await this.queue.getJobCounts();
    return { waiting: counts.waiting, delayed: counts.delayed, active: counts.active };
  }

  /**
   * Round trip to Redis. Rejects when Redis does not answer within `timeoutMs`: the client queues
   * commands while disconnected, so without a limit a ping would wait for Redis to come back.
   */
  async ping(timeoutMs = 1000): Promise<void> {
    await within(
      this.queue.client.ping(),
      timeoutMs,
      `Redis did not answer within ${timeoutMs} ms`,
    );
  }
}
