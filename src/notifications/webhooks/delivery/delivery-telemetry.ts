import { Injectable } from '@nestjs/common';

/** What became of a delivery after one attempt. */
export type AttemptOutcome =
  /** The receiver answered 2xx. */
  | 'succeeded'
  /** It failed and another attempt is scheduled. */
  | 'retrying'
  /** It failed for good: retries exhausted, 410 Gone, or the subscription was disabled. */
  | 'failed'
  /** The worker shut down before the receiver answered; the attempt will be made again. */
  | 'interrupted';

/** One finished attempt, as logs and metrics see it. Never carries a secret, signature or body. */
export interface AttemptReport {
  deliveryId: string;
  subscriptionId: string;
  tenantId: string;
  eventId: string;
  topic: string;
  /** 1 for the first attempt. */
  attempt: number;
  outcome: AttemptOutcome;
  statusCode?: number;
  /** Why it failed when there is no status code (timeout, refused, blocked address). */
  error?: string;
  durationMs: number;
}

/**
 * Where the dispatcher reports every finished attempt: one log line and the delivery metrics.
 * The dispatcher calls {@link attemptFinished} once per attempt, after the outcome is recorded.
 */
@Injectable()
export class DeliveryTelemetry {
  attemptFinished(report: AttemptReport): void {
    void report;
  }
}
