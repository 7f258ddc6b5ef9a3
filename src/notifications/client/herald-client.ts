/** An event as the long-poll API returns it. */
export interface HeraldEvent {
  /** The event's id, the same as the `webhook-id` of its webhooks. */
  id: string;
  /** Its topic, e.g. `order.created`. */
  topic: string;
  /** The JSON object it was published with. */
  payload: Record<string, unknown>;
  /** Pass it as `after` to resume right after this event. */
  cursor: string;
  /** When it was published, ISO 8601. */
  createdAt: string;
  /**
   * The W3C trace context it was published in, when it was: a consumer may continue that trace
   * (or link to it) while it handles the event.
   */
  traceparent?: string;
}

/** Options of {@link HeraldClient}. */
export interface HeraldClientOptions {
  /** Where Herald answers, e.g. `https://herald.example.com`. */
  baseUrl: string;
  /** A tenant API key (`hk_…`). */
  apiKey: string;
  /** Topic filters (`order.*`, `invoice.paid`); all topics when omitted. */
  topics?: string[];
  /** Resume after this cursor; `'0'` = from the oldest retained event; omitted = from now. */
  after?: string;
  /** Seconds the server may hold each poll. Default 30. */
  wait?: number;
  /** Events per poll, 1 to 1000. Default 100. */
  limit?: number;
  /**
   * Called when the cursor is older than the server's retention (events were missed). Return
   * `'resume'` to go on from the oldest event still kept, or `'throw'` to stop. Default: resume.
   */
  onCursorExpired?: (oldestCursor: string, expiredCursor: string | undefined) => 'resume' | 'throw';
  /** Delay before the first retry after a failure; doubles each time, with full jitter. Default 500 ms. */
  retryInitialMs?: number;
  /** Largest delay between retries. Default 30 s. */
  retryMaxMs?: number;
  /** The fetch to use; default the global one. */
  fetch?: typeof fetch;
}

/** A failure the client will not retry: bad request, bad key, or an expired cursor it was told not to skip. */
export class HeraldClientError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'HeraldClientError';
  }
}

interface EventPage {
  events: HeraldEvent[];
  nextCursor: string;
}

interface ErrorBody {
  message?: string;
  code?: string;
  oldestCursor?: string;
}

/**
 * Follows a tenant's events forever by long-polling `GET /v1/events` with the cursor of each answer,
 * so no event is skipped or repeated across reconnects. Network errors, 5xx and 429 are retried with
 * exponential backoff and full jitter (honouring `Retry-After`); other 4xx stop the iteration.
 *
 * ```ts
 * const client = new HeraldClient({ baseUrl, apiKey, topics: ['order.*'], after: savedCursor });
 * for await (const event of client.events()) {
 *   await handle(event);
 *   await saveCursor(event.cursor);
 * }
 * ```
 */
export class HeraldClient {
  private position: string | undefined;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: HeraldClientOptions) {
    this.position = options.after;
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  /** The cursor after the last event yielded (save it to resume later). */
  get cursor(): string | undefined {
    return this.position;
  }

  /** Yields events in cursor order until `signal` aborts or a permanent error is thrown. */
  async *events(signal?: AbortSignal): AsyncGenerator<HeraldEvent, void, undefined> {
    let failures = 0;
    while (!signal?.aborted) {
      let response: Response;
      try {
        response = await this.fetch(this.url(), {
          headers: { authorization: `Bearer ${this.options.apiKey}`, accept: 'application/json' },
          signal,
        });
      } catch (error) {
        if (signal?.aborted) return;
        await this.backoff(++failures, undefined, signal, error);
        continue;
      }
      if (response.ok) {
        const page = (await response.json()) as EventPage;
        failures = 0;
        for (const event of page.events) {
          this.position = event.cursor;
          yield event;
        }
        this.position = page.nextCursor;
        continue;
      }
      const body = (await response.json().catch(() => ({}))) as ErrorBody;
      if (response.status === 410 && body.oldestCursor !== undefined) {
        const decision = (this.options.onCursorExpired ?? (() => 'resume'))(
          body.oldestCursor,
          this.position,
        );
        if (decision === 'throw')
          throw new HeraldClientError(410, body.code, body.message ?? 'cursor expired');
        this.position = body.oldestCursor;
        continue;
      }
      if (response.status === 429 || response.status >= 500) {
        await this.backoff(++failures, response.headers.get('retry-after'), signal);
        continue;
      }
      throw new HeraldClientError(response.status, body.code, body.message ?? response.statusText);
    }
  }

  private url(): string {
    const query = new URLSearchParams({
      wait: String(this.options.wait ?? 30),
      limit: String(this.options.limit ?? 100),
    });
    if (this.position !== undefined) query.set('after', this.position);
    if (this.options.topics?.length) query.set('topics', this.options.topics.join(','));
    return `${this.options.baseUrl.replace(/\/+$/, '')}/v1/events?${query.toString()}`;
  }

  private async backoff(
    failures: number,
    retryAfter: string | null | undefined,
    signal: AbortSignal | undefined,
    _cause?: unknown,
  ): Promise<void> {
    const initial = this.options.retryInitialMs ?? 500;
    const max = this.options.retryMaxMs ?? 30_000;
    const jittered = Math.random() * Math.min(max, initial * 2 ** (failures - 1));
    const told = retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) * 1000 : 0;
    await delay(Math.max(jittered, Math.min(told, max)), signal);
  }
}

/** Resolves after `ms`, or at once when `signal` aborts; plain timers, so it runs in browsers too. */
function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
