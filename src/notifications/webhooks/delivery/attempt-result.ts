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
