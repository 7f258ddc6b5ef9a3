import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { In, type DataSource, type EntityManager, type Repository } from 'typeorm';
import { parseCursor } from '../../common/cursors/cursor';
import { keysetPage } from '../../common/cursors/keyset-page';
import { RESOLVED_OPTIONS } from '../../notifications.constants';
import { NotificationsError, NotificationsErrorCode } from '../../notifications.errors';
import type { ResolvedNotificationsOptions } from '../../notifications.options';
import { NotificationPublisher } from '../../publisher/notification-publisher';
import { DeliveryAttemptEntity } from './delivery-attempt.entity';
import { DeliveryQueue } from './delivery-queue';
import { DeliveryEntity, type DeliveryStatus } from './delivery.entity';
import { recordReplay } from './delivery-states/replay-recorded';
import { retryByHand } from './delivery-states/retried-by-hand';
import { ReplayPager } from './replay-pager';
import { HERALD } from '../../database/herald-names';

/** Which subscription, of which tenant. */
interface SubscriptionRef {
  id: string;
  tenantId: string;
}

/** A delivery with its attempts, as listed. */
export interface DeliveryWithAttempts {
  delivery: DeliveryEntity;
  attempts: DeliveryAttemptEntity[];
}

/** What the API does with deliveries: list a subscription's, retry one, replay, test. */
@Injectable()
export class DeliveriesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(DeliveryEntity) private readonly deliveries: Repository<DeliveryEntity>,
    @InjectRepository(DeliveryAttemptEntity)
    private readonly attempts: Repository<DeliveryAttemptEntity>,
    @Inject(DeliveryQueue) private readonly queue: DeliveryQueue,
    @Inject(NotificationPublisher) private readonly publisher: NotificationPublisher,
    @Inject(ReplayPager) private readonly pager: ReplayPager,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedNotificationsOptions,
  ) {}

  /** A page of the tenant's subscription's deliveries, newest first, with their attempts. */
  async list(
    tenantId: string,
    id: string,
    query: { status?: DeliveryStatus; limit?: number; cursor?: string },
  ): Promise<{ data: DeliveryWithAttempts[]; nextCursor: string | null }> {
    const subscriptionId = (await this.subscriptionOf(tenantId, id)).id;
    return this.inSnapshot(async (manager) => {
      const builder = manager
        .withRepository(this.deliveries)
        .createQueryBuilder('d')
        .where('d.subscription_id = :subscriptionId', { subscriptionId });
      if (query.status) builder.andWhere('d.status = :status', { status: query.status });
      const page = await keysetPage(builder, 'DESC', query);
      const attempts = page.data.length
        ? await this.attemptsOf(
            manager,
            page.data.map((d) => d.id),
          )
        : [];
      return {
        data: page.data.map((delivery) => ({
          delivery,
          attempts: attempts.filter((a) => a.deliveryId === delivery.id),
        })),
        nextCursor: page.nextCursor,
      };
    });
  }

  /**
   * Retries one delivery now, from the start of the schedule; one in flight is left alone. An
   * expired lease is cleared, so an attempt lost before the retry is not counted against it.
   */
  async retry(tenantId: string, id: string): Promise<DeliveryWithAttempts> {
    const rows = await retryByHand(this.dataSource, tenantId, id);
    // A pending delivery may already have a delayed job for this attempt; a hint under the same
    // job id would collapse into it and wait out its delay. The claim keeps the two from both
    // recording an attempt.
    this.queue.hint(rows, 0, `:retry${this.options.clock.now().getTime()}`);
    // The attempt may run at once, so the read-back needs one snapshot too.
    return this.inSnapshot(async (manager) => {
      const delivery = await manager.withRepository(this.deliveries).findOneBy({ id, tenantId });
      if (!delivery)
        throw new NotificationsError(
          NotificationsErrorCode.DeliveryNotFound,
          `Delivery ${id} not found`,
        );
      return { delivery, attempts: await this.attemptsOf(manager, [id]) };
    });
  }

  /**
   * Reads in one snapshot: read in two, an outcome recorded between the reads would show an
   * attempt whose delivery does not say so yet (status, last error).
   */
  private inSnapshot<T>(read: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction('REPEATABLE READ', read);
  }

  private attemptsOf(
    manager: EntityManager,
    deliveryIds: string[],
  ): Promise<DeliveryAttemptEntity[]> {
    return manager.withRepository(this.attempts).find({
      where: { deliveryId: In(deliveryIds) },
      order: { attempt: 'ASC' },
    });
  }

  /**
   * Delivers every retained event after `after` (matching its topics) to the subscription again:
   * records the range, which {@link ReplayPager} schedules a page at a time in the background,
   * durably, and answers how many deliveries that is.
   */
  async replay(tenantId: string, id: string, after: string): Promise<number> {
    const subscription = await this.subscriptionOf(tenantId, id);
    const scheduled = await recordReplay(this.dataSource, subscription.id, parseCursor(after));
    this.pager.wake();
    return scheduled;
  }

  /** Publishes a `webhook.test` event that goes to this subscription only. */
  async test(tenantId: string, id: string): Promise<string> {
    const subscription = await this.subscriptionOf(tenantId, id);
    const event = await this.publisher.publish(
      {
        tenantId: subscription.tenantId,
        topic: 'webhook.test',
        payload: { subscriptionId: subscription.id, message: 'A test event from Herald' },
      },
      { targetSubscriptionId: subscription.id },
    );
    return event.id;
  }

  /** The tenant's subscription, or `subscription_not_found` (also for another tenant's). */
  private async subscriptionOf(tenantId: string, id: string): Promise<SubscriptionRef> {
    const [row] = await this.dataSource.query<SubscriptionRef[]>(
      `SELECT id, tenant_id AS "tenantId" FROM ${HERALD.subscriptions} WHERE id = $1 AND tenant_id = $2`,
      [id, tenantId],
    );
    if (!row) {
      throw new NotificationsError(
        NotificationsErrorCode.SubscriptionNotFound,
        `Subscription ${id} not found`,
      );
    }
    return row;
  }
}
