/** The longest wait a `Retry-After` may ask for under a short schedule (see {@link retryDelay}). */
const RETRY_AFTER_CEILING_MS = 60 * 60 * 1000;

/** Why a subscription is disabled when its endpoint answers 410; also the delivery's last error. */
export const GONE_REASON = 'endpoint answered 410 Gone';

/** What an attempt came to, as far as retrying is concerned. */
export type AttemptVerdict =
  /** 2xx within the timeout. */
  | { kind: 'success' }
  /** 410 Gone: the receiver wants no more; the subscription is disabled. */
  | { kind: 'gone' }
  /** Anything else: retried on the schedule, `retryAfterMs` when the receiver asked for it. */
  | { kind: 'retry'; retryAfterMs?: number };

/**
 * The one place that decides whether an attempt is retried. Every failure to reach the receiver
 * (network, timeout, refused destination) and every non-2xx answer but 410 is retryable: the
 * schedule is long precisely so that endpoints can come back.
 */
export function judgeAttempt(
  statusCode: number | undefined,
  retryAfter: string | undefined,
  now: Date,
): AttemptVerdict {
  if (statusCode !== undefined && statusCode >= 200 && statusCode < 300) return { kind: 'success' };
  if (statusCode === 410) return { kind: 'gone' };
  if (statusCode === 429 || statusCode === 503) {
    const retryAfterMs = parseRetryAfter(retryAfter, now);
    if (retryAfterMs !== undefined) return { kind: 'retry', retryAfterMs };
  }
  return { kind: 'retry' };
}

/** The options the policy reads. */
export interface RetryPolicyOptions {
  /** The delay before each retry, in ms; its length is how many retries there are. */
  retrySchedule: readonly number[];
  /** How many of the first retries wait in Bull; later ones are parked in Postgres. */
  fastRetries: number;
  /** A subscription with no success for this long (ms) is disabled. */
  disableAfter: number;
}

/** What follows an attempt that failed (anything but a success or a 410). */
export interface FailureDecision {
  /** The next attempt; none when the schedule is used up, and the delivery fails. */
  retry?: {
    /** Retries counted, this one included. */
    retries: number;
    /** How long until it is due, and when that is. */
    delayMs: number;
    at: Date;
    /**
     * Among the first `fastRetries`: a delayed Bull job brings it back. Otherwise it is parked:
     * the sweeper finds it due in Postgres.
     */
    fast: boolean;
  };
  /** Why the subscription is disabled: no success since its run of failures began. */
  disable?: string;
}

/**
 * The whole decision after a failed attempt: when the next one is due (the schedule, or the
 * receiver's `Retry-After`), whether Bull or the sweeper brings it, or that the schedule is used up;
 * and whether the subscription, failing since `failingSince`, has failed long enough
 * (`disableAfter`) to be disabled.
 */
export function decideAfterFailure(
  verdict: Extract<AttemptVerdict, { kind: 'retry' }>,
  retriesSoFar: number,
  failingSince: Date,
  now: Date,
  options: RetryPolicyOptions,
  random: () => number = Math.random,
): FailureDecision {
  const retries = retriesSoFar + 1;
  const delayMs = retryDelay(retries, options.retrySchedule, verdict.retryAfterMs, random);
  const decision: FailureDecision = {};
  if (delayMs !== undefined) {
    decision.retry = {
      retries,
      delayMs,
      at: new Date(now.getTime() + delayMs),
      fast: retries <= options.fastRetries,
    };
  }
  if (now.getTime() - failingSince.getTime() >= options.disableAfter)
    decision.disable = `no successful delivery since ${failingSince.toISOString()}`;
  return decision;
}

/**
 * The delay before retry number `retry` (1-based) of `schedule`, with ±20 % jitter so receivers
 * that come back are not hit by every delivery at once; undefined when the schedule is used up.
 * A receiver's `Retry-After` replaces the scheduled delay (it still counts as a retry), up to the
 * schedule's longest delay or an hour, whichever is longer: a receiver cannot park a delivery for
 * much longer than the schedule would.
 */
export function retryDelay(
  retry: number,
  schedule: readonly number[],
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number | undefined {
  const scheduled = schedule[retry - 1];
  if (scheduled === undefined) return undefined;
  if (retryAfterMs !== undefined) {
    return Math.min(retryAfterMs, Math.max(RETRY_AFTER_CEILING_MS, ...schedule));
  }
  return Math.round(scheduled * (0.8 + 0.4 * random()));
}

/** `Retry-After` as seconds or an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now.getTime());
}
