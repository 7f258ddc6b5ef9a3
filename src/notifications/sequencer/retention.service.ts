import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { RESOLVED_OPTIONS } from '../notifications.constants';
import type { ResolvedNotificationsOptions } from '../notifications.options';

const BATCH = 1000;

interface Candidate {
  id: string;
  position: string;
  expired: boolean;
}

/**
 * Deletes events older than the retention, oldest position first, in short transactions, and
 * records the highest deleted position so readers behind it get `410 cursor_expired`.
 */
@Injectable()
export class RetentionService {
  private readonly logger = new Logger('HeraldRetention');
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedNotificationsOptions,
  ) {}

  /** Prunes now and then every `retentionInterval`, until {@link stop}. Only the leader calls it. */
  start(): void {
    this.stop();
    const tick = () => {
      this.running ??= this.prune()
        .catch((error: unknown) => {
          this.logger.error(`Pruning failed: ${String(error)}`);
          return 0;
        })
        .finally(() => (this.running = undefined));
    };
    tick();
    this.timer = setInterval(tick, this.options.retentionInterval);
  }

  /** Stops the schedule; a prune under way finishes its batch. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Deletes every event sequenced before `now - retention`; returns how many. */
  async prune(now: Date = this.options.clock.now()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.options.retention);
    let total = 0;
    for (;;) {
      const deleted = await this.pruneBatch(cutoff);
      total += deleted;
      if (deleted < BATCH) return total;
    }
  }

  private pruneBatch(cutoff: Date): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      // Positions are stamped in increasing sequenced_at order, so the expired events are a prefix
      // of the log: walking the position index from the start finds them without another index.
      const candidates = await manager.query<Candidate[]>(
        `SELECT id, position, sequenced_at < $1 AS expired FROM herald.events
         WHERE position IS NOT NULL ORDER BY position LIMIT $2`,
        [cutoff, BATCH],
      );
      const end = candidates.findIndex((candidate) => !candidate.expired);
      const doomed = end === -1 ? candidates : candidates.slice(0, end);
      const last = doomed.at(-1);
      if (!last) return 0;
      await manager.query(`DELETE FROM herald.events WHERE id = ANY($1::uuid[])`, [
        doomed.map((candidate) => candidate.id),
      ]);
      await manager.query(
        `UPDATE herald.sequencer_state SET pruned_through = GREATEST(pruned_through, $1) WHERE id = 1`,
        [last.position],
      );
      return doomed.length;
    });
  }
}
