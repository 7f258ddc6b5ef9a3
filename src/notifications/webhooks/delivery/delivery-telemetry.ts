import { Inject, Injectable, Logger } from '@nestjs/common';
import { HeraldMetrics } from '../../metrics/herald-metrics';

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

/** Longest error text a log line carries; network errors can nest causes at length. */
const MAX_ERROR_LENGTH = 500;
/** Anything URL-shaped: a receiver's URL may carry a token in its path or query string. */
const URL_PATTERN = /\b[a-z][a-z0-9+.-]*:\/\/\S+/gi;

/**
 * Where the dispatcher reports every finished attempt: one log line and the delivery metrics.
 * The dispatcher calls {@link attemptFinished} once per attempt, after the outcome is recorded.
 */
@Injectable()
export class DeliveryTelemetry {
  private readonly logger = new Logger('HeraldDelivery');

  constructor(@Inject(HeraldMetrics) private readonly metrics: HeraldMetrics) {}

  /**
   * Counts the attempt in `herald_deliveries_total` and `herald_delivery_attempt_duration_seconds`
   * and logs one line of its ids, outcome, status, error and duration. The line names no URL,
   * header, secret or body: only the fields listed here reach it.
   */
  attemptFinished(report: AttemptReport): void {
    const { outcome } = report;
    this.metrics.deliveries.inc({ outcome });
    this.metrics.attemptDuration.observe({ outcome }, report.durationMs / 1000);
    const line = {
      msg: `webhook attempt ${outcome}`,
      deliveryId: report.deliveryId,
      subscriptionId: report.subscriptionId,
      eventId: report.eventId,
      tenantId: report.tenantId,
      topic: report.topic,
      attempt: report.attempt,
      outcome,
      statusCode: report.statusCode,
      error: report.error === undefined ? undefined : scrub(report.error),
      durationMs: report.durationMs,
    };
    // One level for every outcome: a failing endpoint is the receiver's problem, not this
    // process's, and the dispatcher warns about what does need an operator (a disabled endpoint).
    this.logger.log(line);
  }
}

function scrub(error: string): string {
  const text = error.replace(URL_PATTERN, '<url>');
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH)}…` : text;
}
