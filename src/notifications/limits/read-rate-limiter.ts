import { Inject, Injectable } from '@nestjs/common';
import { getStorageToken, type ThrottlerStorage } from '@nestjs/throttler';
import { RESOLVED_OPTIONS } from '../notifications.constants';
import { NotificationsError, NotificationsErrorCode } from '../notifications.errors';
import type { ResolvedNotificationsOptions } from '../notifications.options';
import type { Principal } from '../tenants/principal';

const BUCKET = 'read';

/**
 * The `read` budget of each API key (and of the admin token): reads of events that are answered
 * at once, and stream opens. A poll that holds is not counted here (the held-poll cap bounds those),
 * so a thousand followers on one key cost nothing while they wait. Whether a poll holds is known
 * only once it has read the log, so the read is spent after it; a key over its budget is then
 * refused for the rest of the window before it reads anything. Counts live in the throttler's
 * storage, beside the other buckets.
 */
@Injectable()
export class ReadRateLimiter {
  /** Keys refused until then (ms since the epoch), so a blocked key reads nothing. */
  private readonly blockedUntil = new Map<string, number>();

  constructor(
    @Inject(getStorageToken()) private readonly storage: ThrottlerStorage,
    @Inject(RESOLVED_OPTIONS)
    private readonly options: Pick<ResolvedNotificationsOptions, 'readRateLimit'>,
  ) {}

  /**
   * Refuses a caller that went over its budget and is still blocked.
   *
   * @throws NotificationsError `rate_limited` with the seconds to wait
   */
  check(principal: Principal): void {
    const key = keyOf(principal);
    const until = this.blockedUntil.get(key);
    if (until === undefined) return;
    // The throttler's storage counts its windows on the wall clock, so the block is read on it too.
    const wait = until - Date.now();
    if (wait <= 0) {
      this.blockedUntil.delete(key);
      return;
    }
    throw this.refusal(Math.ceil(wait / 1000));
  }

  /**
   * Spends one read of the caller's budget.
   *
   * @throws NotificationsError `rate_limited` when the budget of the window is spent
   */
  async spend(principal: Principal): Promise<void> {
    const rule = this.options.readRateLimit;
    if (!rule) return;
    const key = keyOf(principal);
    const record = await this.storage.increment(key, rule.window, rule.limit, rule.window, BUCKET);
    if (!record.isBlocked) return;
    const retryAfter = Math.max(1, record.timeToBlockExpire);
    const now = Date.now();
    for (const [blocked, until] of this.blockedUntil) {
      if (until <= now) this.blockedUntil.delete(blocked);
    }
    this.blockedUntil.set(key, now + retryAfter * 1000);
    throw this.refusal(retryAfter);
  }

  private refusal(retryAfter: number): NotificationsError {
    const rule = this.options.readRateLimit;
    const rate = rule ? `at most ${rule.limit} reads per ${rule.window} ms` : 'too many reads';
    return new NotificationsError(
      NotificationsErrorCode.RateLimited,
      `Rate limit reached: ${rate} answered at once for these credentials; ` +
        `retry after ${retryAfter} s, or poll with a wait and a cursor to be woken instead`,
      { retryAfter },
    );
  }
}

function keyOf(principal: Principal): string {
  return `${BUCKET}:${principal.kind === 'tenant' ? `key:${principal.credentialId}` : 'admin'}`;
}
