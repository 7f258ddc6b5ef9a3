import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { RESOLVED_OPTIONS } from '../../notifications.constants';
import type { ResolvedNotificationsOptions } from '../../notifications.options';
import { DeliveryQueue } from './delivery-queue';
import { SUBSCRIPTION_WANTS_EVENT } from './fan-out';

/** Events one page looks at: what one transaction inserts or re-arms at most. */
export const REPLAY_PAGE_SIZE = 1000;

/**
 * One page of the replay paged least recently, in one statement (so one transaction): the next
 * events of its tenant in its range, a delivery for each the subscription wants (re-armed when it
 * already ended; one still pending keeps its own schedule), and the range moved past them, or
 * the replay removed when the page was its last. Only a count and one delivery to hint about come
 * back to the process, whatever the page holds. A replay locked by another pager is left to it.
 */
const PAGE = `
  WITH r AS (
    SELECT subscription_id, after_position, through_position FROM herald.replays
    ORDER BY paged_at LIMIT 1 FOR UPDATE SKIP LOCKED
  ), page AS (
    SELECT e.id, e.position
    FROM r
    JOIN herald.subscriptions s ON s.id = r.subscription_id
    JOIN herald.sequencer_state st ON st.id = 1
    JOIN herald.events e ON e.tenant_id = s.tenant_id
      AND e.position > GREATEST(r.after_position, st.pruned_through)
      AND e.position <= r.through_position
    ORDER BY e.position
    LIMIT $1
  ), rearmed AS (
    INSERT INTO herald.deliveries (event_id, subscription_id, tenant_id)
    SELECT e.id, s.id, e.tenant_id
    FROM page p
    JOIN herald.events e ON e.id = p.id
    JOIN r ON true
    JOIN herald.subscriptions s ON s.id = r.subscription_id
    WHERE ${SUBSCRIPTION_WANTS_EVENT}
    ORDER BY p.position
    ON CONFLICT (event_id, subscription_id) DO UPDATE
      SET status = 'pending', retries = 0, next_attempt_at = now(), last_error = NULL,
          updated_at = now()
      WHERE herald.deliveries.status <> 'pending'
    RETURNING id, subscription_id, attempts
  ), finished AS (
    DELETE FROM herald.replays x USING r
    WHERE x.subscription_id = r.subscription_id AND (SELECT count(*) FROM page) < $1
    RETURNING x.subscription_id
  ), advanced AS (
    UPDATE herald.replays x SET after_position = (SELECT max(position) FROM page), paged_at = now()
    FROM r
    WHERE x.subscription_id = r.subscription_id AND (SELECT count(*) FROM page) = $1
    RETURNING x.subscription_id
  )
  SELECT r.subscription_id,
         (SELECT count(*)::int FROM rearmed) AS scheduled,
         EXISTS (SELECT 1 FROM finished) AS finished,
         h.id AS hint_id,
         h.attempts AS hint_attempts
  FROM r LEFT JOIN LATERAL (SELECT id, attempts FROM rearmed LIMIT 1) h ON true`;

interface PageRow {
  subscription_id: string;
  scheduled: number;
  finished: boolean;
  hint_id: string | null;
  hint_attempts: number | null;
}

/**
 * Works through the replays recorded in `herald.replays`, a page per transaction, and hints the
 * queue once per page: a worker hinted about one delivery drains all of its subscription's due
 * deliveries. A replay is durable: what a stopped process left is taken up by any process with
 * the worker role within `sweepInterval`, where the last committed page ended.
 */
@Injectable()
export class ReplayPager implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('HeraldReplayPager');
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopping = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(DeliveryQueue) private readonly queue: DeliveryQueue,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedNotificationsOptions,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.options.runWorker) return;
    this.timer = setInterval(() => this.wake(), this.options.sweepInterval);
    this.wake();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** Pages through every recorded replay in the background; a call while one runs adds a round. */
  wake(): void {
    if (this.stopping) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((error: unknown) => {
        // The replay's row stays: the next wake or sweep takes it up where it stopped.
        this.logger.error(`Replay paging failed; it resumes at the next sweep: ${String(error)}`);
      })
      .finally(() => {
        this.running = undefined;
        // A wake that came after the last look, while this drain was finishing.
        if (this.again) this.wake();
      });
  }

  private async drain(): Promise<void> {
    do {
      this.again = false;
      let paged = true;
      while (paged && !this.stopping) paged = await this.page();
    } while (this.again && !this.stopping);
  }

  /** Schedules one page; false when no replay was left to page. */
  private async page(): Promise<boolean> {
    const [row] = await this.dataSource.query<PageRow[]>(PAGE, [REPLAY_PAGE_SIZE]);
    if (!row) return false;
    if (row.hint_id !== null && row.hint_attempts !== null) {
      // A delivery failed by disabling its subscription may still have a delayed job for this
      // attempt; a hint of its own is not swallowed by it.
      this.queue.hint(
        [{ id: row.hint_id, subscription_id: row.subscription_id, attempts: row.hint_attempts }],
        0,
        `:replay${Date.now()}`,
      );
    }
    if (row.finished) this.logger.log(`Replay of subscription ${row.subscription_id} scheduled`);
    return true;
  }
}
