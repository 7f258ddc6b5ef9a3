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
import { createPgClient } from '../common/pg-client';
import { Signal } from '../common/signal';
import { RESOLVED_OPTIONS, SEQUENCED_CHANNEL } from '../notifications.constants';
import type { ResolvedNotificationsOptions } from '../notifications.options';
import { WaiterRegistry, type SequencedEvent } from './waiter-registry';

interface BatchRow {
  id: string;
  tenant_id: string;
  topic: string;
  payload: Record<string, unknown>;
  position: string;
  created_at: Date;
}

/** Positions read per query when catching up a large gap (after a long disconnect). */
const MAX_BATCH = 5000;

const READ_BATCH = `
  SELECT id, tenant_id, topic, payload, position, created_at FROM herald.events
  WHERE position > $1 AND position <= $2 AND tenant_id = ANY($3::uuid[])
  ORDER BY position`;

/**
 * The process's one LISTEN connection on the sequencer's channel. Each new head is read once, for
 * the tenants that have waiters, and fanned out in memory. A lost connection loses nothing: on
 * reconnect, and every `longPollRecheckInterval`, it compares the head with what it has handed
 * over and catches up.
 */
@Injectable()
export class SequencedListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('HeraldListener');
  private readonly backoff = new Signal();
  private stopping = false;
  private resolveStopped!: () => void;
  private readonly stopped = new Promise<void>((resolve) => (this.resolveStopped = resolve));
  private loop?: Promise<void>;
  /** Highest position handed over to the waiters. */
  private handedOver?: bigint;
  private target = 0n;
  private draining?: Promise<void>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(WaiterRegistry) private readonly registry: WaiterRegistry,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedNotificationsOptions,
  ) {}

  onApplicationBootstrap(): void {
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.resolveStopped();
    this.backoff.notify();
    await this.loop;
    await this.draining;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const client = createPgClient(this.dataSource, 'herald-listener');
      const lost = new Promise<never>((_, reject) => {
        client.on('error', reject);
        client.on('end', () => reject(new Error('listener connection ended')));
      });
      lost.catch(() => undefined);
      let recheck: NodeJS.Timeout | undefined;
      try {
        await Promise.race([client.connect(), lost]);
        client.on('notification', (message) => this.onNotification(message.payload));
        await client.query(`LISTEN ${SEQUENCED_CHANNEL}`);
        await this.catchUp(client);
        recheck = setInterval(() => {
          this.catchUp(client).catch(() => undefined);
        }, this.options.longPollRecheckInterval);
        await Promise.race([lost, this.stopped]);
      } catch (error) {
        if (!this.stopping) this.logger.warn(`Listener connection lost: ${String(error)}`);
      } finally {
        clearInterval(recheck);
        await client.end().catch(() => undefined);
      }
      if (!this.stopping) await this.backoff.wait(1000);
    }
  }

  /** Reads the head directly, for notifications missed while disconnected. */
  private async catchUp(client: Client): Promise<void> {
    const { rows } = await client.query<{ last_position: string }>(
      'SELECT last_position FROM herald.sequencer_state WHERE id = 1',
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
      this.handedOver = to;
    }
  }

  private async handOver(from: bigint, to: bigint, tenants: string[]): Promise<void> {
    try {
      const rows = await this.dataSource.query<BatchRow[]>(READ_BATCH, [
        from.toString(),
        to.toString(),
        tenants,
      ]);
      this.registry.deliver(from, rows.map(toSequencedEvent));
    } catch (error) {
      this.logger.warn(`Could not read events (${from}, ${to}]; waiters re-read: ${String(error)}`);
      this.registry.recheckAll();
    }
  }
}

function toSequencedEvent(row: BatchRow): SequencedEvent {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    topic: row.topic,
    payload: row.payload,
    cursor: row.position,
    createdAt: row.created_at,
  };
}
