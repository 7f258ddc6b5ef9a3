import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { RESOLVED_OPTIONS } from '../../notifications.constants';
import type { ResolvedNotificationsOptions } from '../../notifications.options';
import { DeliveryQueue } from './delivery-queue';
import { WebhookDispatcher } from './webhook-dispatcher';

/** Jobs taken from Redis at once; each only nudges a drain, so it is done in a moment. */
const CONCURRENCY = 50;

/** The worker role: each job nudges the dispatcher's drain of the job's subscription. */
@Injectable()
export class DeliveryProcessor implements OnApplicationBootstrap {
  private readonly logger = new Logger('HeraldDeliveryProcessor');

  constructor(
    @Inject(DeliveryQueue) private readonly queue: DeliveryQueue,
    @Inject(WebhookDispatcher) private readonly dispatcher: WebhookDispatcher,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedNotificationsOptions,
  ) {}

  onApplicationBootstrap(): void {
    if (this.options.runWorker)
      this.queue.process(CONCURRENCY, (job) => {
        this.dispatcher.kick(job.subscriptionId);
        return Promise.resolve();
      });
  }
}
