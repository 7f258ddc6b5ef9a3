import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { RESOLVED_OPTIONS } from '../../notifications.constants';
import type { ResolvedNotificationsOptions } from '../../notifications.options';
import { DeliveryQueue } from './delivery-queue';
import { WebhookDispatcher } from './webhook-dispatcher';

/** Jobs one worker process runs at once (each is mostly waiting on a receiver). */
const CONCURRENCY = 50;

/** The worker role: hands each queued delivery to the dispatcher. */
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
      this.queue.process(CONCURRENCY, (job) => this.dispatcher.attempt(job));
  }
}
