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
import { pageReplay } from './delivery-states/replay-paged';

/** Events one page looks at: what one transaction inserts or re-arms at most. */
export const REPLAY_PAGE_SIZE = 1000;

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
    const row = await pageReplay(this.dataSource, REPLAY_PAGE_SIZE);
    if (!row) return false;
    if (row.hint_id !== null && row.hint_attempts !== null) {
      // A delivery failed by disabling its subscription may still have a delayed job for this
      // attempt; a hint of its own is not swallowed by it.
      this.queue.hint(
        [{ id: row.hint_id, subscription_id: row.subscription_id, attempts: row.hint_attempts }],
        0,
        `:replay${this.options.clock.now().getTime()}`,
      );
    }
    if (row.finished) this.logger.log(`Replay of subscription ${row.subscription_id} scheduled`);
    return true;
  }
}
