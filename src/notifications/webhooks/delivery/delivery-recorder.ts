import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { errorMessage } from '../../common/error-message';
import { queryPrepared, type PreparedStatement } from '../../common/prepared-statement';
import { toStorableText } from '../../common/storable-json';
import { isDatabaseUnavailable } from '../../http/database-unavailable';
import { RESOLVED_OPTIONS } from '../../notifications.constants';
import type { ResolvedNotificationsOptions } from '../../notifications.options';
import { HeraldMetrics } from '../../metrics/herald-metrics';
import { NotificationPublisher } from '../../publisher/notification-publisher';
import type { ClaimedDelivery } from './delivery-claim';
import { DeliveryQueue } from './delivery-queue';
import type { AttemptOutcome } from './delivery-telemetry';
import { judgeAttempt, retryDelay, type AttemptVerdict } from './retry-policy';

/** What one HTTP call came to. */
export interface AttemptResult {
  startedAt: Date;
  durationMs: number;
  statusCode?: number;
  retryAfter?: string;
  snippet?: string;
  error?: string;
  /** The worker shut down before the receiver answered. */
  interrupted?: boolean;
}

/** Successes recorded by one statement at most. */
const MAX_BATCH = 500;

const INTERRUPTED_ERROR = 'interrupted: the worker shut down before the receiver answered';

// Successes are most of the traffic: a batch of them is recorded by one autocommit statement
// (the attempts, the deliveries' status, the subscriptions' health) instead of a transaction each.
const RECORD_SUCCESSES: PreparedStatement = {
  name: 'herald_record_successes',
  text: `
  WITH r AS (
    SELECT * FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::int[], $5::int[], $6::text[])
      AS r(delivery_id, attempt, started_at, duration_ms, status_code, snippet)
  ),
  done AS (
    UPDATE herald.deliveries d
    SET status = 'succeeded', lease_until = NULL, last_error = NULL, updated_at = now()
    FROM r WHERE d.id = r.delivery_id AND d.attempts = r.attempt AND d.status = 'pending'
    RETURNING d.subscription_id
  ),
  healthy AS (
    UPDATE herald.subscriptions SET failing_since = NULL
    WHERE id IN (SELECT subscription_id FROM done) AND failing_since IS NOT NULL
  )
  INSERT INTO herald.delivery_attempts
    (delivery_id, attempt, started_at, duration_ms, status_code, response_snippet)
  SELECT delivery_id, attempt, started_at, duration_ms, status_code, snippet FROM r
  ON CONFLICT (delivery_id, attempt) DO NOTHING`,
};

const INSERT_ATTEMPT = `
  INSERT INTO herald.delivery_attempts
    (delivery_id, attempt, started_at, duration_ms, status_code, response_snippet, error)
  VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (delivery_id, attempt) DO NOTHING`;

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
 * Records what an attempt came to and decides what comes next: done, a retry from Bull, parked in
 * Postgres, failed, or the subscription turned off. Every write is conditional on the attempt
 * still holding the delivery's lease, so an attempt is recorded once.
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

  private async recordSuccesses(batch: Pending[]): Promise<void> {
    await queryPrepared(this.dataSource, RECORD_SUCCESSES, [
      batch.map((p) => p.claimed.id),
      batch.map((p) => p.claimed.attempts),
      batch.map((p) => p.result.startedAt),
      batch.map((p) => p.result.durationMs),
      batch.map((p) => p.result.statusCode ?? null),
      batch.map((p) => p.result.snippet ?? null),
    ]);
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
          await this.insertAttempt(manager, claimed, {
            startedAt: result.startedAt,
            durationMs: result.durationMs,
            statusCode: result.statusCode,
            error: reason,
          });
          await this.finish(manager, claimed, reason);
          await this.publishExhausted(manager, claimed, reason);
        });
      } catch {
        // The attempt row or the event is what is refused: the delivery's own row still ends.
        await this.finish(this.dataSource.manager, claimed, reason);
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
      await this.insertAttempt(manager, claimed, { ...result, error: INTERRUPTED_ERROR });
      await manager.query(
        `UPDATE herald.deliveries SET lease_until = NULL, next_attempt_at = now(), last_error = $3,
           updated_at = now()
         WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
        [claimed.id, claimed.attempts, INTERRUPTED_ERROR],
      );
    });
    this.queue.hint([claimed]);
  }

  private async failed(
    claimed: ClaimedDelivery,
    result: AttemptResult,
    verdict: Exclude<AttemptVerdict, { kind: 'success' }>,
  ): Promise<AttemptOutcome> {
    const now = this.options.clock.now();
    const error = result.error ?? `HTTP ${result.statusCode}`;
    return this.dataSource.transaction(async (manager): Promise<AttemptOutcome> => {
      await this.insertAttempt(manager, claimed, result);
      if (verdict.kind === 'gone') {
        await this.finish(manager, claimed, 'endpoint answered 410 Gone');
        await this.disable(manager, claimed, 'endpoint answered 410 Gone');
        return 'failed';
      }
      const failingSince = await this.markFailing(manager, claimed.subscription_id, now);
      const retries = claimed.retries + 1;
      const delay = retryDelay(retries, this.options.retrySchedule, verdict.retryAfterMs);
      let outcome: AttemptOutcome = 'retrying';
      if (delay === undefined) {
        await this.finish(manager, claimed, error);
        await this.publishExhausted(manager, claimed, error);
        outcome = 'failed';
      } else {
        await manager.query(
          `UPDATE herald.deliveries SET retries = $3, next_attempt_at = $4, lease_until = NULL,
             last_error = $5, updated_at = now()
           WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
          [claimed.id, claimed.attempts, retries, new Date(now.getTime() + delay), error],
        );
        // The first retries wait in Bull; later ones are parked in Postgres for the sweeper.
        if (retries <= this.options.fastRetries) this.queue.hint([claimed], delay);
      }
      if (now.getTime() - failingSince.getTime() >= this.options.disableAfter) {
        await this.disable(
          manager,
          claimed,
          `no successful delivery since ${failingSince.toISOString()}`,
        );
        outcome = 'failed';
      }
      return outcome;
    });
  }

  private async insertAttempt(
    manager: EntityManager,
    claimed: ClaimedDelivery,
    result: AttemptResult,
  ): Promise<void> {
    await manager.query(INSERT_ATTEMPT, [
      claimed.id,
      claimed.attempts,
      result.startedAt,
      result.durationMs,
      result.statusCode ?? null,
      result.snippet ?? null,
      result.error ?? null,
    ]);
  }

  /** When the subscription's current run of failures began (now, if this attempt starts it). */
  private async markFailing(
    manager: EntityManager,
    subscriptionId: string,
    now: Date,
  ): Promise<Date> {
    // Only the first failure writes the row: every failed attempt locking it would serialize
    // a failing endpoint's attempts on one row lock, each held until its commit.
    // TypeORM answers an UPDATE with [rows, affected count], not with the rows alone.
    const [set] = await manager.query<[{ failing_since: Date }[], number]>(
      `UPDATE herald.subscriptions SET failing_since = $2
       WHERE id = $1 AND failing_since IS NULL RETURNING failing_since`,
      [subscriptionId, now],
    );
    if (set[0]) return set[0].failing_since;
    const [row] = await manager.query<{ failing_since: Date | null }[]>(
      `SELECT failing_since FROM herald.subscriptions WHERE id = $1`,
      [subscriptionId],
    );
    return row?.failing_since ?? now;
  }

  private async finish(
    manager: EntityManager,
    claimed: ClaimedDelivery,
    error: string,
  ): Promise<void> {
    await manager.query(
      `UPDATE herald.deliveries SET status = 'failed', lease_until = NULL, last_error = $3,
         updated_at = now()
       WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
      [claimed.id, claimed.attempts, error],
    );
  }

  /** Turns the subscription off, fails its pending deliveries and tells the tenant. */
  private async disable(
    manager: EntityManager,
    claimed: ClaimedDelivery,
    reason: string,
  ): Promise<void> {
    const subscriptionId = claimed.subscription_id;
    // [rows, affected count]: no row means another attempt disabled it first and has told.
    const [disabled] = await manager.query<[{ id: string }[], number]>(
      `UPDATE herald.subscriptions SET enabled = false, disabled_reason = $2, updated_at = now()
       WHERE id = $1 AND enabled RETURNING id`,
      [subscriptionId, reason],
    );
    if (disabled.length === 0) return;
    await manager.query(
      `UPDATE herald.deliveries SET status = 'failed', last_error = 'subscription disabled', updated_at = now()
       WHERE subscription_id = $1 AND status = 'pending' AND (lease_until IS NULL OR lease_until < now())`,
      [subscriptionId],
    );
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
