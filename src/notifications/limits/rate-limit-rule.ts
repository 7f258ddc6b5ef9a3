/** At most `limit` requests in a window of `window` milliseconds. */
export interface RateLimitRule {
  /** Requests admitted per window; at least 1. */
  limit: number;
  /** Length of the window, in milliseconds. */
  window: number;
}
