import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { errorMessage } from '../../common/error-message';
import { toStorableText } from '../../common/postgres/storable-json';
import { isDatabaseUnavailable } from '../../common/postgres/database-unavailable';
import { RESOLVED_OPTIONS } from '../../notifications.constants';
import type { ResolvedNotificationsOptions } from '../../notifications.options';
import { HeraldMetrics } from '../../metrics/herald-metrics';
import { NotificationPublisher } from '../../publisher/notification-publisher';
import type { AttemptResult } from './attempt-result';
import { DeliveryQueue } from './delivery-queue';
import { recordAttempt } from './delivery-states/attempt-recorded';
import type { ClaimedDelivery } from './delivery-states/claimed';
import { disableSubscription } from './delivery-states/disabled';
import { failDelivery } from './delivery-states/failed';
import { interruptDelivery } from './delivery-states/interrupted';
import { scheduleRetry } from './delivery-states/retry-scheduled';
import { markFailing } from './delivery-states/subscription-failing';
import { recordSuccesses } from './delivery-states/succeeded';
import type { AttemptOutcome } from './delivery-telemetry';
import { decideAfterFailure, GONE_REASON, judgeAttempt, type AttemptVerdict } from './retry-policy';

/** Successes recorded by one statement at most. */
const MAX_BATCH = 500;

const INTERRUPTED_ERROR = 'interrupted: the worker shut down before the receiver answered';

interface Pending {
  claimed: ClaimedDelivery;
  result: AttemptResult;
  resolve: (outcome: AttemptOutcome) => void;
  reject: (error: unknown) => void;
}

/** What `last_error` and the attempt's error say when an outcome could not be recorded. */
const RECORDING_FAILED = 'recording the attempt failed';

/**
 * Nothing about the attempt could be written, not even the delivery's failure: the delivery stays
 * claimed until its lease runs out, and is then claimed again with the lost attempt counted as a
 * retry.
 */
export class AttemptNotRecordedError extends Error {
  constructor(deliveryId: string, attempt: number, cause: unknown) {
    super(
      `attempt ${attempt} of delivery ${deliveryId} could not be recorded, nor the delivery failed ` +
        `(${errorMessage(cause)}); it is attempted again once its lease runs out`,
      { cause },
    );
    this.name = 'AttemptNotRecordedError';
  }
}

/**
 * Records what an attempt came to and carries out what the retry policy decides comes next: done,
 * a retry from Bull, parked in Postgres, failed, or the subscription turned off, through the
 * delivery's transitions (`delivery-states/`). Every write is conditional on the attempt still
 * holding the delivery's lease, so an attempt is recorded once.
 */
@Injectable()
export class DeliveryRecorder {
  private readonly logger = new Logger('HeraldDeliveryRecorder');
  private queued: Pending[] = [];
  private flushing?: Promise<void>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(DeliveryQueue) private readonly queue: DeliveryQueue,
    @Inject(NotificationPublisher) private readonly publisher: NotificationPublisher,
    @Inject(HeraldMetrics) private readonly metrics: HeraldMetrics,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedNotificationsOptions,
  ) {}

  /**
   * Records one attempt; resolves with what became of the delivery. An outcome Postgres refuses
   * fails the delivery with the reason (see {@link recordingFailed}). One that cannot be written
   * because the database is unreachable is tried once more, then rejects with
   * {@link AttemptNotRecordedError}, as when not even the failure could be written: the lease
   * brings the delivery back, the lost attempt counted as a retry.
   */
  async record(claimed: ClaimedDelivery, attempt: AttemptResult): Promise<AttemptOutcome> {
    // Error texts can carry what a receiver sent; one that Postgres refuses would fail the whole
    // batch it is recorded in, other tenants' successes with it.
    const result =
      attempt.error === undefined ? attempt : { ...attempt, error: toStorableText(attempt.error) };
    try {
      return await this.recordOutcome(claimed, result);
    } catch (error) {
      if (!isDatabaseUnavailable(error)) return this.recordingFailed(claimed, result, error);
    }
    // A dropped connection (a restart, a failover) is no fault of the row: once more, on another
    // connection of the pool, before the outcome is given up to the lease.
    try {
      return await this.recordOutcome(claimed, result);
    } catch (error) {
      if (!isDatabaseUnavailable(error)) return this.recordingFailed(claimed, result, error);
      this.metrics.recordFailures.inc({ result: 'lost' });
      throw new AttemptNotRecordedError(claimed.id, claimed.attempts, error);
    }
  }

  private async recordOutcome(
    claimed: ClaimedDelivery,
    result: AttemptResult,
  ): Promise<AttemptOutcome> {
    if (result.interrupted) {
      await this.interrupted(claimed, result);
      return 'interrupted';
    }
    const verdict = judgeAttempt(result.statusCode, result.retryAfter, this.options.clock.now());
    if (verdict.kind === 'success') return this.succeeded(claimed, result);
    return this.failed(claimed, result, verdict);
  }

  /**
   * Queues a success for the next batch; resolves once it is stored, or once the delivery is
   * failed because it could not be (see {@link flush}).
   */
  private succeeded(claimed: ClaimedDelivery, result: AttemptResult): Promise<AttemptOutcome> {
    return new Promise((resolve, reject) => {
      this.queued.push({ claimed, result, resolve, reject });
      // One batch at a time: successes arriving while one is written gather for the next.
      this.flushing ??= this.flush().finally(() => (this.flushing = undefined));
    });
  }

  private async flush(): Promise<void> {
    while (this.queued.length > 0) {
      const batch = this.queued.splice(0, MAX_BATCH);
      try {
        await this.recordSuccesses(batch);
        for (const pending of batch) pending.resolve('succeeded');
      } catch (error) {
        if (batch.length === 1) {
          batch[0].reject(error);
          continue;
        }
        // One row Postgres refuses fails the whole statement: row by row, the others still go
        // through, and only the row at fault is failed (by record()).
        for (const pending of batch) {
          await this.recordSuccesses([pending]).then(
            () => pending.resolve('succeeded'),
            (rowError: unknown) => pending.reject(rowError),
          );
        }
      }
    }
  }

  private recordSuccesses(batch: Pending[]): Promise<void> {
    return recordSuccesses(this.dataSource, batch);
  }

  /**
   * Postgres refused to record the attempt's outcome (a row it cannot store, a trigger, a check).
   * Left as it is, the delivery would stay claimed and be sent again every lease period, outside
   * the retry schedule, forever if the refusal is in what the receiver answered. It is failed
   * instead, with the reason in `last_error`, an attempt row without the answer when one can be
   * written, `herald_delivery_record_failures_total` and an error log line. When even the failure
   * cannot be written (Postgres down), the lease brings the delivery back and the claim counts the
   * lost attempt as a retry, so it still runs out with the schedule.
   */
  private async recordingFailed(
    claimed: ClaimedDelivery,
    result: AttemptResult,
    cause: unknown,
  ): Promise<AttemptOutcome> {
    const reason = toStorableText(`${RECORDING_FAILED}: ${errorMessage(cause)}`);
    try {
      try {
        await this.dataSource.transaction(async (manager) => {
          await recordAttempt(manager, claimed, {
            startedAt: result.startedAt,
            durationMs: result.durationMs,
            statusCode: result.statusCode,
            error: reason,
          });
          await failDelivery(manager, claimed, reason);
          await this.publishExhausted(manager, claimed, reason);
        });
      } catch {
        // The attempt row or the event is what is refused: the delivery's own row still ends.
        await failDelivery(this.dataSource.manager, claimed, reason);
      }
    } catch (error) {
      this.metrics.recordFailures.inc({ result: 'lost' });
      throw new AttemptNotRecordedError(claimed.id, claimed.attempts, error);
    }
    this.metrics.recordFailures.inc({ result: 'failed' });
    this.logger.error(
      `Delivery ${claimed.id} (subscription ${claimed.subscription_id}, tenant ` +
        `${claimed.tenant_id}) failed: attempt ${claimed.attempts} could not be recorded: ` +
        errorMessage(cause),
    );
    return 'failed';
  }

  /** The worker stopped before the receiver answered: the attempt counts, the next one is due now. */
  private async interrupted(claimed: ClaimedDelivery, result: AttemptResult): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await recordAttempt(manager, claimed, { ...result, error: INTERRUPTED_ERROR });
      await interruptDelivery(manager, claimed, INTERRUPTED_ERROR);
    });
    this.queue.hint([claimed]);
  }

  /** Carries out the retry policy's decision on a failed attempt, in one transaction. */
  private async failed(
    claimed: ClaimedDelivery,
    result: AttemptResult,
    verdict: Exclude<AttemptVerdict, { kind: 'success' }>,
  ): Promise<AttemptOutcome> {
    const now = this.options.clock.now();
    const error = result.error ?? `HTTP ${result.statusCode}`;
    return this.dataSource.transaction(async (manager): Promise<AttemptOutcome> => {
      await recordAttempt(manager, claimed, result);
      if (verdict.kind === 'gone') {
        await failDelivery(manager, claimed, GONE_REASON);
        await this.disable(manager, claimed, GONE_REASON);
        return 'failed';
      }
      const failingSince = await markFailing(manager, claimed.subscription_id, now);
      const decision = decideAfterFailure(
        verdict,
        claimed.retries,
        failingSince,
        now,
        this.options,
      );
      if (decision.retry) {
        await scheduleRetry(manager, claimed, decision.retry, error);
        if (decision.retry.fast) this.queue.hint([claimed], decision.retry.delayMs);
      } else {
        await failDelivery(manager, claimed, error);
        await this.publishExhausted(manager, claimed, error);
      }
      if (decision.disable) await this.disable(manager, claimed, decision.disable);
      return decision.retry && !decision.disable ? 'retrying' : 'failed';
    });
  }

  /** Turns the subscription off, fails its pending deliveries and tells the tenant. */
  private async disable(
    manager: EntityManager,
    claimed: ClaimedDelivery,
    reason: string,
  ): Promise<void> {
    const subscriptionId = claimed.subscription_id;
    // Another attempt disabled it first, and has told.
    if (!(await disableSubscription(manager, subscriptionId, reason))) return;
    this.logger.warn(`Subscription ${subscriptionId} disabled: ${reason}`);
    await this.publisher.publish(
      {
        tenantId: claimed.tenant_id,
        topic: 'webhook.subscription.disabled',
        payload: { subscriptionId, url: claimed.url, reason },
      },
      { manager },
    );
  }

  private async publishExhausted(
    manager: EntityManager,
    claimed: ClaimedDelivery,
    lastError: string,
  ): Promise<void> {
    // Failing to deliver an operational event raises none: failing endpoints cannot feed each other.
    if (claimed.topic.startsWith('webhook.')) return;
    await this.publisher.publish(
      {
        tenantId: claimed.tenant_id,
        topic: 'webhook.attempt.exhausted',
        payload: {
          subscriptionId: claimed.subscription_id,
          deliveryId: claimed.id,
          eventId: claimed.event_id,
          topic: claimed.topic,
          attempts: claimed.attempts,
          lastError,
        },
      },
      { manager, idempotencyKey: `exhausted-${claimed.id}-${claimed.attempts}` },
    );
  }
}
