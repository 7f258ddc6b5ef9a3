import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { ListenLoop } from '../common/postgres/listen-loop';
import { HeraldMetrics } from '../metrics/herald-metrics';
import { RESOLVED_OPTIONS, SEQUENCED_CHANNEL } from '../notifications.constants';
import type { ResolvedNotificationsOptions } from '../notifications.options';
import { EVENT_BYTES } from './event-log.service';
import { WaiterRegistry, type SequencedEvent } from './waiter-registry';
import { HERALD } from '../database/herald-names';

interface BatchRow {
  id: string;
  tenant_id: string;
  topic: string;
  /** Null on the row the batch stopped before: the budget was spent. */
  payload: Record<string, unknown> | null;
  position: string;
  created_at: Date;
  bytes: number;
  traceparent: string | null;
}

/** Positions read per query when catching up a large gap (after a long disconnect). */
const MAX_BATCH = 5000;

/**
 * Bytes of events one query brings into memory (at least one event, whatever its size); the rest
 * of the range is read by the next query.
 */
const MAX_BATCH_BYTES = 8 * 1024 * 1024;

/** The next event after `cursor`, up to the batch's end, of a tenant with waiters. */
const nextEvent = (cursor: string) => `
  SELECT e.id, e.tenant_id, e.topic, e.payload, e.position, e.created_at, ${EVENT_BYTES} AS bytes,
    e.traceparent
  FROM ${HERALD.events} e
  WHERE e.position > ${cursor} AND e.position <= $2 AND e.tenant_id = ANY($3::uuid[])
  ORDER BY e.position
  LIMIT 1`;

// Walked one event at a time like a page (see EventLogService), so that a range of large events
// is never read whole; the event past the budget comes back without its payload, to say where
// the batch stopped.
const READ_BATCH = `
  WITH RECURSIVE batch AS (
    SELECT first_event.*, first_event.bytes AS total, 1 AS n
    FROM (${nextEvent('$1')}) first_event
    UNION ALL
    SELECT next_event.*, batch.total + next_event.bytes, batch.n + 1
    FROM batch CROSS JOIN LATERAL (${nextEvent('batch.position')}) next_event
    WHERE batch.n = 1 OR batch.total <= $4::bigint
  )
  SELECT id, tenant_id, topic, position, created_at, bytes, traceparent,
    CASE WHEN n = 1 OR total <= $4::bigint THEN payload END AS payload
  FROM batch
  ORDER BY position`;

/**
 * The process's one LISTEN connection on the sequencer's channel. Each new head is read once, for
 * the tenants that have waiters, and fanned out in memory. A lost connection loses nothing: on
 * reconnect, and every `longPollRecheckInterval`, it compares the head with what it has handed
 * over and catches up. What it has handed over is this process's known head: a poll at it can
 * wait without reading the log (see {@link SequencedListener.headFor}).
 */
@Injectable()
export class SequencedListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('HeraldListener');
  private readonly loop: ListenLoop;
  /** Highest position handed over to the waiters. */
  private handedOver?: bigint;
  /** The tenants of the batch being read right now, while one is. */
  private reading?: ReadonlySet<string>;
  private target = 0n;
  private draining?: Promise<void>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(WaiterRegistry) private readonly registry: WaiterRegistry,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedNotificationsOptions,
    @Inject(HeraldMetrics) private readonly metrics: HeraldMetrics,
  ) {
    this.loop = new ListenLoop(dataSource, 'herald-listener', SEQUENCED_CHANNEL, this.logger, {
      notification: (payload) => this.onNotification(payload),
      connected: async (client) => {
        await this.catchUp(client);
        const recheck = setInterval(() => {
          this.catchUp(client).catch(() => undefined);
        }, this.options.longPollRecheckInterval);
        return () => clearInterval(recheck);
      },
    });
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
    await this.draining;
  }

  /**
   * The highest position through which every event of `tenantId` is sure to reach a waiter
   * registered now, without it reading the log: every event after it is still to be handed over,
   * including those committed but not heard of yet (the listener catches up on them). Undefined
   * before the first connection, and while a batch is being read for other tenants only (it
   * would pass this one's waiters by). A poll whose cursor is exactly this registers and waits;
   * any other cursor (behind, ahead, or from another instance) is read from the log.
   */
  headFor(tenantId: string): bigint | undefined {
    if (this.reading && !this.reading.has(tenantId)) return undefined;
    return this.handedOver;
  }

  /** Reads the head directly, for notifications missed while disconnected. */
  private async catchUp(client: Client): Promise<void> {
    this.metrics.longPollReads.inc({ read: 'head' });
    const { rows } = await client.query<{ last_position: string }>(
      `SELECT last_position FROM ${HERALD.sequencer_state} WHERE id = 1`,
    );
    const head = BigInt(rows[0]?.last_position ?? '0');
    if (this.handedOver === undefined) this.handedOver = head;
    this.advance(head);
  }

  private onNotification(payload: string | undefined): void {
    try {
      this.advance(BigInt((JSON.parse(payload ?? '') as { head: string }).head));
    } catch {
      this.logger.warn(`Ignored a malformed notification: ${payload}`);
    }
  }

  private advance(head: bigint): void {
    if (head > this.target) this.target = head;
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
  }

  private async drain(): Promise<void> {
    while (this.handedOver !== undefined && this.handedOver < this.target) {
      const from = this.handedOver;
      const to = this.target - from > MAX_BATCH ? from + BigInt(MAX_BATCH) : this.target;
      const tenants = this.registry.tenants();
      if (tenants.length > 0) await this.handOver(from, to, tenants);
      else this.handedOver = to;
    }
  }

  /**
   * Hands over (from, to], or less of it when the byte budget runs out, and advances
   * `handedOver` in the same step as the hand-over: a poll at the old head registered after it
   * would wait for events already handed over.
   */
  private async handOver(from: bigint, to: bigint, tenants: string[]): Promise<void> {
    this.reading = new Set(tenants);
    let rows: BatchRow[];
    try {
      this.metrics.longPollReads.inc({ read: 'batch' });
      rows = await this.dataSource.query<BatchRow[]>(READ_BATCH, [
        from.toString(),
        to.toString(),
        tenants,
        MAX_BATCH_BYTES,
      ]);
    } catch (error) {
      this.reading = undefined;
      this.handedOver = to;
      this.logger.warn(`Could not read events (${from}, ${to}]; waiters re-read: ${String(error)}`);
      this.registry.recheckAll();
      return;
    }
    const stop = rows.at(-1);
    const cut = stop !== undefined && stop.payload === null;
    this.reading = undefined;
    this.handedOver = cut ? BigInt(stop.position) - 1n : to;
    this.registry.deliver(from, rows.flatMap(toSequencedEvent));
  }
}

function toSequencedEvent(row: BatchRow): SequencedEvent[] {
  if (row.payload === null) return [];
  return [
    {
      id: row.id,
      tenantId: row.tenant_id,
      topic: row.topic,
      payload: row.payload,
      cursor: row.position,
      createdAt: row.created_at,
      bytes: row.bytes,
      traceparent: row.traceparent ?? undefined,
    },
  ];
}
