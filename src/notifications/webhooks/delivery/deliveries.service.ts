import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { In, type DataSource, type EntityManager, type Repository } from 'typeorm';
import { parseCursor } from '../../common/cursor';
import { decodePageCursor, encodePageCursor } from '../../common/page-cursor';
import { NotificationsError, NotificationsErrorCode } from '../../notifications.errors';
import { NotificationPublisher } from '../../publisher/notification-publisher';
import type { SubscriptionEntity } from '../subscriptions/subscription.entity';
import { DeliveryAttemptEntity } from './delivery-attempt.entity';
import { DeliveryQueue, type DeliveryHint } from './delivery-queue';
import { DeliveryEntity, type DeliveryStatus } from './delivery.entity';
import { SUBSCRIPTION_WANTS_EVENT } from './fan-out';

const DEFAULT_PAGE = 20;

// Replay re-arms deliveries that already ended; one still pending keeps its own schedule.
const REPLAY = `
  INSERT INTO herald.deliveries (event_id, subscription_id, tenant_id)
  SELECT e.id, s.id, e.tenant_id
  FROM herald.subscriptions s, herald.events e, herald.sequencer_state st
  WHERE s.id = $1 AND st.id = 1 AND e.tenant_id = s.tenant_id
    AND e.position > GREATEST($2::bigint, st.pruned_through)
    AND ${SUBSCRIPTION_WANTS_EVENT}
  ORDER BY e.position
  ON CONFLICT (event_id, subscription_id) DO UPDATE
    SET status = 'pending', retries = 0, next_attempt_at = now(), last_error = NULL, updated_at = now()
    WHERE herald.deliveries.status <> 'pending'
  RETURNING id, subscription_id, attempts`;

/** A delivery with its attempts, as listed. */
export interface DeliveryWithAttempts {
  delivery: DeliveryEntity;
  attempts: DeliveryAttemptEntity[];
}

/** What the API does with deliveries: list them, retry one, replay, test. */
@Injectable()
export class DeliveriesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(DeliveryEntity) private readonly deliveries: Repository<DeliveryEntity>,
    @InjectRepository(DeliveryAttemptEntity)
    private readonly attempts: Repository<DeliveryAttemptEntity>,
    @Inject(DeliveryQueue) private readonly queue: DeliveryQueue,
    @Inject(NotificationPublisher) private readonly publisher: NotificationPublisher,
  ) {}

  /** A page of a subscription's deliveries, newest first, with their attempts. */
  async list(
    subscriptionId: string,
    query: { status?: DeliveryStatus; limit?: number; cursor?: string },
  ): Promise<{ data: DeliveryWithAttempts[]; nextCursor: string | null }> {
    const limit = query.limit ?? DEFAULT_PAGE;
    return this.inSnapshot(async (manager) => {
      const builder = manager
        .withRepository(this.deliveries)
        .createQueryBuilder('d')
        .where('d.subscription_id = :subscriptionId', { subscriptionId })
        .orderBy('d.created_at', 'DESC')
        .addOrderBy('d.id', 'DESC')
        .take(limit + 1);
      if (query.status) builder.andWhere('d.status = :status', { status: query.status });
      if (query.cursor !== undefined)
        builder.andWhere(
          '(d.created_at, d.id) < (:createdAt, :id)',
          decodePageCursor(query.cursor),
        );
      const rows = await builder.getMany();
      const page = rows.slice(0, limit);
      const attempts = page.length
        ? await this.attemptsOf(
            manager,
            page.map((d) => d.id),
          )
        : [];
      const last = page.at(-1);
      return {
        data: page.map((delivery) => ({
          delivery,
          attempts: attempts.filter((a) => a.deliveryId === delivery.id),
        })),
        nextCursor: rows.length > limit && last ? encodePageCursor(last) : null,
      };
    });
  }

  /**
   * Retries one delivery now, from the start of the schedule; one in flight is left alone. An
   * expired lease is cleared, so an attempt lost before the retry is not counted against it.
   */
  async retry(tenantId: string, id: string): Promise<DeliveryWithAttempts> {
    const [rows] = await this.dataSource.query<[DeliveryHint[], number]>(
      `UPDATE herald.deliveries SET status = 'pending', retries = 0, next_attempt_at = now(),
         last_error = NULL, lease_until = NULL, updated_at = now()
       WHERE id = $1 AND tenant_id = $2 AND (lease_until IS NULL OR lease_until < now())
       RETURNING id, subscription_id, attempts`,
      [id, tenantId],
    );
    // A pending delivery may already have a delayed job for this attempt; a hint under the same
    // job id would collapse into it and wait out its delay. The claim keeps the two from both
    // recording an attempt.
    this.queue.hint(rows, 0, `:retry${Date.now()}`);
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

  /** Delivers every retained event after `after` (matching its topics) to the subscription again. */
  async replay(subscription: SubscriptionEntity, after: string): Promise<number> {
    const rows = await this.dataSource.query<DeliveryHint[]>(REPLAY, [
      subscription.id,
      parseCursor(after).toString(),
    ]);
    // A delivery failed by disabling its subscription may still have a delayed job for this
    // attempt; a hint of its own is not swallowed by it.
    this.queue.hint(rows, 0, `:replay${Date.now()}`);
    return rows.length;
  }

  /** Publishes a `webhook.test` event that goes to this subscription only. */
  async test(subscription: SubscriptionEntity): Promise<string> {
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
}
