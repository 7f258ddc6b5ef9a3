/** What a rate limit allows now: how many of the deliveries asked for may start. */
export interface RateTake {
  granted: number;
  /** When fewer were granted than asked for: milliseconds until the oldest grant leaves the window. */
  waitMs: number;
}

/**
 * A sliding window of grants: at most `limit` deliveries in any `windowMs`. Each grant is kept
 * with its time until it leaves the window, so no window of that length, wherever it starts,
 * holds more than the limit (a token bucket would let a full bucket and its refill meet in one).
 * Redis keeps the same window for all workers (`DeliveryQueue.takeRateTokens`); this one is a
 * process's own, used while Redis cannot be reached.
 */
export class RateWindow {
  /** Grants in the window, oldest first. */
  private readonly grants: { at: number; count: number }[] = [];

  /** Takes up to `want` deliveries at `now` (milliseconds, any monotonic origin). */
  take(limit: number, want: number, now: number, windowMs: number): RateTake {
    this.forget(now, windowMs);
    const used = this.grants.reduce((sum, grant) => sum + grant.count, 0);
    const granted = Math.max(0, Math.min(want, limit - used));
    if (granted > 0) this.grants.push({ at: now, count: granted });
    const oldest = this.grants[0];
    const waitMs =
      granted < want && oldest ? Math.max(1, Math.ceil(oldest.at + windowMs - now)) : 0;
    return { granted, waitMs };
  }

  /** Whether nothing granted is still in the window at `now`. */
  isEmpty(now: number, windowMs: number): boolean {
    this.forget(now, windowMs);
    return this.grants.length === 0;
  }

  private forget(now: number, windowMs: number): void {
    while (this.grants.length > 0 && this.grants[0].at <= now - windowMs) this.grants.shift();
  }
}
