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
import { findDueDeliveries } from './delivery-states/due';

const BATCH = 1000;

/**
 * The reconciler: every `sweepInterval`, deliveries that are due, or whose attempt outlived its
 * lease (a killed worker), are hinted again. Parked retries come back this way, and so does
 * everything a flushed or restarted Redis lost; a job still live in Redis has the same id, so the
 * hint collapses into it.
 */
@Injectable()
export class DeliverySweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('HeraldSweeper');
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;
  private round = 0;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(DeliveryQueue) private readonly queue: DeliveryQueue,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedNotificationsOptions,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.options.runWorker) return;
    this.timer = setInterval(() => void this.sweepOnce(), this.options.sweepInterval);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /**
   * Hints every subscription with a due delivery once; returns how many. Overlapping calls share
   * one sweep.
   */
  sweepOnce(): Promise<number> {
    this.running ??= this.sweep()
      .catch((error: unknown) => {
        this.logger.warn(`Sweep failed: ${String(error)}`);
        return 0;
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async sweep(): Promise<number> {
    const due = await findDueDeliveries(this.dataSource, BATCH);
    // Two job ids per attempt, alternating between sweeps: an id held by a dead worker's active
    // job (until Bull's stalled check, 30 to 60 s later) blocks every other sweep at most.
    this.round = (this.round + 1) % 2;
    this.queue.hint(due, 0, `:s${this.round}`);
    return due.length;
  }
}
