import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { RESOLVED_OPTIONS } from '../notifications.constants';
import type { ResolvedNotificationsOptions } from '../notifications.options';
import { HERALD } from '../database/herald-names';

const BATCH = 1000;

interface Candidate {
  id: string;
  position: string;
}

/**
 * Deletes events older than the retention, oldest position first, in short transactions, and
 * records the highest deleted position so readers behind it get `410 cursor_expired`. An event
 * with a delivery still pending is never deleted: pruning stops there until the delivery ends.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap {
  private readonly logger = new Logger('HeraldRetention');
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;
  /** The owed event pruning last stopped at, so each hold is logged once. */
  private heldBy?: string;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedNotificationsOptions,
  ) {}

  /**
   * Warns when the retention is shorter than the retry schedule: events then outlive their
   * retention while a delivery of theirs is retried (pruning waits for it), so the log can hold
   * more than the retention says.
   */
  onApplicationBootstrap(): void {
    const { retention, retrySchedule } = this.options;
    const schedule = retrySchedule.reduce((total, delay) => total + delay, 0);
    if (retention < schedule)
      this.logger.warn(
        `The retention (${formatMs(retention)}) is shorter than the retry schedule ` +
          `(${formatMs(schedule)} in all): an event with a delivery still being retried is kept ` +
          'past its retention until the delivery succeeds or fails',
      );
  }

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
      const head = await manager.query<(Candidate & { expired: boolean })[]>(
        `SELECT id, position, sequenced_at < $1 AS expired FROM ${HERALD.events}
         WHERE position IS NOT NULL ORDER BY position LIMIT $2`,
        [cutoff, BATCH],
      );
      const fresh = head.findIndex((candidate) => !candidate.expired);
      const candidates = fresh === -1 ? head : head.slice(0, fresh);
      if (candidates.length === 0) return 0;
      // Locked, so no delivery can be added to them until this transaction ends.
      await manager.query(`SELECT 1 FROM ${HERALD.events} WHERE id = ANY($1::uuid[]) FOR UPDATE`, [
        candidates.map((candidate) => candidate.id),
      ]);
      // Their deliveries are locked too, so none can be made pending again (a retry, a replay)
      // between this check and the delete, which takes the ended ones with it.
      const owed = await manager.query<{ event_id: string }[]>(
        `SELECT DISTINCT event_id FROM (
           SELECT event_id, status FROM ${HERALD.deliveries} WHERE event_id = ANY($1::uuid[]) FOR UPDATE
         ) d WHERE status = 'pending'`,
        [candidates.map((candidate) => candidate.id)],
      );
      const owedIds = new Set(owed.map((row) => row.event_id));
      // An event still owed to a subscription stops the prefix: deleting it would delete its
      // pending delivery. Pruning goes on once that delivery succeeds or fails, which its retry
      // schedule bounds.
      const end = candidates.findIndex((candidate) => owedIds.has(candidate.id));
      const doomed = end === -1 ? candidates : candidates.slice(0, end);
      this.reportHeld(end === -1 ? undefined : candidates[end]);
      const last = doomed.at(-1);
      if (!last) return 0;
      await manager.query(`DELETE FROM ${HERALD.events} WHERE id = ANY($1::uuid[])`, [
        doomed.map((candidate) => candidate.id),
      ]);
      await manager.query(
        `UPDATE ${HERALD.sequencer_state} SET pruned_through = GREATEST(pruned_through, $1) WHERE id = 1`,
        [last.position],
      );
      // A batch cut short by an owed event holds fewer than BATCH, so it is the run's last.
      return doomed.length;
    });
  }

  /** Logs when pruning starts or stops waiting for an owed event, not at every run. */
  private reportHeld(holder: Candidate | undefined): void {
    if (holder?.id === this.heldBy) return;
    this.heldBy = holder?.id;
    if (holder)
      this.logger.log(
        `Expired events from position ${holder.position} on are kept while event ${holder.id} ` +
          'has a pending delivery; they are deleted once it succeeds or fails',
      );
  }
}

function formatMs(ms: number): string {
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  const [unit, size] = units.find(([, size]) => ms >= size && ms % size === 0) ?? ['ms', 1];
  return `${ms / size}${unit}`;
}
