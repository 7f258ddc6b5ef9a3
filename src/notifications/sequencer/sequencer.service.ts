import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { runPrepared, type PreparedStatement } from '../common/postgres/prepared-statement';
import { ReconnectingSession, untilAborted } from '../common/postgres/reconnecting-session';
import { Signal } from '../common/signal';
import {
  PUBLISHED_CHANNEL,
  RESOLVED_OPTIONS,
  SEQUENCED_CHANNEL,
  SEQUENCER_LOCK_KEY,
} from '../notifications.constants';
import type { ResolvedNotificationsOptions } from '../notifications.options';
import { DeliveryQueue } from '../webhooks/delivery/delivery-queue';
import { createDeliveries } from '../webhooks/delivery/delivery-states/created';
import { RetentionService } from './retention.service';
import { HeraldTracing } from '../tracing/herald-tracing';
import { HERALD } from '../database/herald-names';

// Only rows whose transaction has committed are visible here, which is the point: a position is
// never given to an event that could still commit after a later one (DESIGN, "Why a sequencer").
const STAMP_BATCH: PreparedStatement = {
  name: 'herald_stamp_batch',
  text: `
  UPDATE ${HERALD.events} e SET position = $1::bigint + b.rn, sequenced_at = now()
  FROM (
    SELECT id, row_number() OVER (ORDER BY created_at, id) AS rn
    FROM ${HERALD.events} WHERE position IS NULL
    ORDER BY created_at, id LIMIT $2
  ) b
  WHERE e.id = b.id`,
};

const LOCK_STATE: PreparedStatement = {
  name: 'herald_lock_sequencer_state',
  text: `SELECT last_position FROM ${HERALD.sequencer_state} WHERE id = 1 FOR UPDATE`,
};

// The notification is delivered at commit, so whoever it wakes can read the new positions.
const ADVANCE_STATE: PreparedStatement = {
  name: 'herald_advance_sequencer_state',
  text: `UPDATE ${HERALD.sequencer_state} SET last_position = $1 WHERE id = 1
         RETURNING pg_notify('${SEQUENCED_CHANNEL}', $2)`,
};

/**
 * Stamps increasing positions on committed events, one batch per transaction, and NOTIFYs the
 * new head. One process is active cluster-wide: the one holding a session advisory lock on its
 * dedicated connection; the others retry the lock and take over when that session ends.
 */
@Injectable()
export class SequencerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('HeraldSequencer');
  private readonly signal = new Signal();
  private readonly session: ReconnectingSession;
  private leading = false;

  constructor(
    @InjectDataSource() dataSource: DataSource,
    @Inject(RetentionService) private readonly retention: RetentionService,
    @Inject(DeliveryQueue) private readonly queue: DeliveryQueue,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedNotificationsOptions,
    @Inject(HeraldTracing) private readonly tracing: HeraldTracing,
  ) {
    this.session = new ReconnectingSession(
      dataSource,
      'herald-sequencer',
      'Sequencer',
      this.logger,
      options.sequencerStandbyInterval,
      (client, ended) => this.standBy(client, ended),
    );
  }

  /** Whether this process is the active sequencer right now. */
  get isLeader(): boolean {
    return this.leading;
  }

  onApplicationBootstrap(): void {
    if (this.options.runSequencer) this.session.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.session.stop();
  }

  /** Takes the lock when it is free, then leads until the connection ends. */
  private async standBy(client: Client, ended: AbortSignal): Promise<void> {
    try {
      await this.acquire(client, ended);
      await this.lead(client, ended);
    } finally {
      if (this.leading) this.logger.log('Stepped down as the active sequencer');
      this.leading = false;
      this.retention.stop();
      client.removeAllListeners('notification');
    }
  }

  /** Tries the lock until it is ours; throws once the connection ends. */
  private async acquire(client: Client, ended: AbortSignal): Promise<void> {
    for (;;) {
      const { rows } = await untilAborted(
        client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', [
          ...SEQUENCER_LOCK_KEY,
        ]),
        ended,
      );
      if (rows[0]?.locked) return;
      await this.signal.wait(this.options.sequencerStandbyInterval, ended);
      ended.throwIfAborted();
    }
  }

  private async lead(client: Client, ended: AbortSignal): Promise<void> {
    this.leading = true;
    this.logger.log('Active sequencer');
    client.on('notification', () => this.signal.notify());
    await client.query(`LISTEN ${PUBLISHED_CHANNEL}`);
    this.retention.start();
    while (!ended.aborted) {
      let stamped: number;
      do stamped = await this.stampBatch(client);
      while (stamped === this.options.sequencerBatchSize && !ended.aborted);
      // Each batch has a fixed cost (a transaction, its commit flush). Under a steady stream of
      // publishes, letting the next batch gather for a moment multiplies throughput; a lone event
      // after a quiet spell is still stamped at once.
      if (stamped > 0) {
        await sleep(this.options.sequencerBatchInterval, undefined, { signal: ended }).catch(
          () => undefined,
        );
      }
      await this.signal.wait(this.options.sequencerPollInterval, ended);
    }
    ended.throwIfAborted();
  }

  /**
   * Stamps one batch of committed events; returns how many. A batch that stamped something, or
   * failed, is a `herald sequence` span: the sequencer looks often, and finding nothing is no news.
   */
  private async stampBatch(client: Client): Promise<number> {
    const started = performance.now();
    try {
      const { stamped, head } = await this.stamp(client);
      if (stamped > 0) {
        const span = this.tracing.startedAt('herald sequence', 'internal', 'root', started);
        if (span.recording) {
          span.set({
            'messaging.system': 'herald',
            'messaging.batch.message_count': stamped,
            'herald.sequencer.first_position': (head + 1n).toString(),
            'herald.sequencer.last_position': (head + BigInt(stamped)).toString(),
          });
        }
        span.end();
      }
      return stamped;
    } catch (error) {
      const span = this.tracing.startedAt('herald sequence', 'internal', 'root', started);
      span.fail(error);
      span.end();
      throw error;
    }
  }

  /** One batch's transaction: how many it stamped, after which head. */
  private async stamp(client: Client): Promise<{ stamped: number; head: bigint }> {
    await client.query('BEGIN');
    try {
      const state = await runPrepared<{ last_position: string }>(client, LOCK_STATE, []);
      const head = BigInt(state[0]?.last_position ?? '0');
      // Only how many: the positions run from head + 1 without a gap, and fan-out reads the rows.
      const { rowCount } = await client.query({
        ...STAMP_BATCH,
        values: [head.toString(), this.options.sequencerBatchSize],
      });
      const stamped = rowCount ?? 0;
      if (stamped === 0) {
        await client.query('ROLLBACK');
        return { stamped, head };
      }
      const newHead = (head + BigInt(stamped)).toString();
      // Deliveries are born in the transaction that stamps their events: both or neither. The
      // subscriptions table is small enough that the planner would rather test every row than
      // look an event's patterns up in the topic index; testing is what lets one tenant's
      // patterns slow everyone's sequencing, so the index is used whatever the table's size.
      await client.query('SET LOCAL enable_seqscan = off');
      const hints = await createDeliveries(client, head.toString(), newHead);
      await runPrepared(client, ADVANCE_STATE, [newHead, JSON.stringify({ head: newHead })]);
      await client.query('COMMIT');
      // Only a hint, after commit: the rows are the truth, and the sweeper finds what a lost hint
      // missed. One per subscription (fan-out returns no more): its drain takes all of them.
      this.queue.hint(hints);
      return { stamped, head };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }
}
