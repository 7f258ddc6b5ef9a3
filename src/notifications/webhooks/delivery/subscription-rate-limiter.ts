import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { errorMessage } from '../../common/error-message';
import { RESOLVED_OPTIONS } from '../../notifications.constants';
import type { ResolvedNotificationsOptions } from '../../notifications.options';
import { DeliveryQueue } from './delivery-queue';
import { RateWindow, type RateTake } from './rate-window';

/**
 * A subscription's `rateLimit` counts the deliveries of any second, and each is counted for a
 * tenth of a second more: the limit spaces the starts, but the receiver counts arrivals, and a
 * request can take longer to arrive than the next second's (a new connection, a busy worker).
 * With this, requests that reach the receiver up to 100 ms later than others still fit its
 * second; the price is a rate up to 9 % below the limit with a long backlog.
 */
const WINDOW_MS = 1_100;
/** How often a worker tells Redis it is alive, and how long one that stopped is still counted. */
const BEAT_MS = 5_000;
const BEAT_TTL_MS = 3 * BEAT_MS;

/**
 * Holds each rate-limited subscription to its `rateLimit` across every worker process: a sliding
 * window of one second (and a margin, see `WINDOW_MS`) in Redis, asked just before claimed deliveries start. A delivery the limit
 * refuses is handed back unattempted (no attempt counted, no retry delay), and its drain waits
 * for the window to move on, holding no slot and claiming nothing.
 *
 * While Redis cannot be reached deliveries still go out, each process keeping a window of its
 * own at its share of the limit: the limit divided by the number of worker processes last seen
 * alive in Redis (each beats every 5 s), starting from what it sent itself in the last second.
 * Together they stay within the limit, unless workers were started while Redis was away, which
 * each add a share; only the second in which Redis goes (what the others sent is not known) or
 * comes back (what the workers sent alone is not in Redis) may hold up to a limit more. A share below one delivery a second is
 * kept as one delivery per window stretched to fit (a limit of 1 over 3 workers: one per 3 s each).
 */
@Injectable()
export class SubscriptionRateLimiter implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('HeraldRateLimiter');
  private readonly workerId = randomUUID();
  private grants = 0;
  /** Worker processes alive when Redis last answered, this one included. */
  private workers = 1;
  private readonly local = new Map<string, RateWindow>();
  private withoutRedis = false;
  private beat?: NodeJS.Timeout;

  constructor(
    @Inject(DeliveryQueue)
    private readonly queue: Pick<DeliveryQueue, 'takeRateTokens' | 'workerBeat'>,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedNotificationsOptions,
  ) {}

  /** Worker processes alive when Redis last answered, this one included. */
  get workerCount(): number {
    return this.workers;
  }

  onModuleInit(): void {
    if (!this.options.runWorker) return;
    void this.beatOnce();
    this.beat = setInterval(() => void this.beatOnce(), BEAT_MS);
    this.beat.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.beat);
  }

  /** Takes up to `want` deliveries of `subscriptionId` from its `limit` a second. */
  async take(subscriptionId: string, limit: number, want: number): Promise<RateTake> {
    this.grants += 1;
    const grantId = `${this.workerId}.${this.grants}`;
    try {
      const take = await this.queue.takeRateTokens(subscriptionId, limit, want, WINDOW_MS, grantId);
      this.noteRedis(true);
      // Noted here too, so that should Redis go away, this worker's own window starts with what
      // it has just sent rather than empty.
      if (take.granted > 0)
        this.windowOf(subscriptionId).take(Infinity, take.granted, performance.now(), WINDOW_MS);
      return take;
    } catch (error) {
      this.noteRedis(false, error);
      return this.takeLocally(subscriptionId, limit, want);
    }
  }

  private takeLocally(subscriptionId: string, limit: number, want: number): RateTake {
    const share = limit / this.workers;
    // A share under one a second: one delivery per window as long as one a share takes.
    const [cap, windowMs] =
      share >= 1 ? [Math.floor(share), WINDOW_MS] : [1, (WINDOW_MS * this.workers) / limit];
    return this.windowOf(subscriptionId).take(cap, want, performance.now(), windowMs);
  }

  private windowOf(subscriptionId: string): RateWindow {
    let window = this.local.get(subscriptionId);
    if (!window) {
      window = new RateWindow();
      this.local.set(subscriptionId, window);
    }
    return window;
  }

  private async beatOnce(): Promise<void> {
    try {
      this.workers = Math.max(1, await this.queue.workerBeat(this.workerId, BEAT_TTL_MS));
    } catch {
      // Redis away: the count from before stands, and take() says so.
    }
    // Local windows are kept only while they hold grants.
    const now = performance.now();
    for (const [subscriptionId, window] of this.local)
      if (window.isEmpty(now, WINDOW_MS * this.workers)) this.local.delete(subscriptionId);
  }

  private noteRedis(reachable: boolean, error?: unknown): void {
    if (reachable === !this.withoutRedis) return;
    this.withoutRedis = !reachable;
    if (reachable) this.logger.log('Redis is back: rate limits are shared by all workers again');
    else
      this.logger.warn(
        `Rate limits held per process while Redis cannot be reached (${errorMessage(error)}): ` +
          `each of ${this.workers} worker(s) sends at most its share of a limit`,
      );
  }
}
