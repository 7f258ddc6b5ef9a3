import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Gauge, type Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { errorMessage } from '../common/error-message';
import { within } from '../common/within';
import { RESOLVED_OPTIONS } from '../notifications.constants';
import type { ResolvedNotificationsOptions } from '../notifications.options';
import { DeliveryQueue } from '../webhooks/delivery/delivery-queue';
import { HeraldMetrics } from './herald-metrics';
import { HERALD } from '../database/herald-names';

/**
 * How long a scrape waits for Postgres or Redis. Prometheus gives a scrape 10 s by default, and a
 * /metrics that hung on a slow database would take every other metric down with it.
 */
const COLLECT_TIMEOUT_MS = 1000;

/** Where scrape-time values come from; the `source` label of the collect-errors counter. */
type Source = 'postgres' | 'redis';

/** What one scrape reads from Postgres. */
interface DatabaseSnapshot {
  sequencer_lag: number;
  pending: number;
  parked: number;
  disabled_subscriptions: number;
}

// One round trip. The lag is a first row of the partial index on unsequenced events, the
// delivery counts scan the partial index on pending ones; subscriptions are few. clock_timestamp(),
// not now(): a row committed between this transaction's start and this statement would otherwise
// be younger than now(). Counts come back as float8 so that pg answers numbers, not strings.
const DATABASE_SNAPSHOT = `
  SELECT
    (SELECT COALESCE(GREATEST(0, EXTRACT(EPOCH FROM clock_timestamp() - min(created_at))), 0)
       FROM ${HERALD.events} WHERE position IS NULL)::float8 AS sequencer_lag,
    d.pending,
    d.parked,
    (SELECT count(*) FROM ${HERALD.subscriptions} WHERE NOT enabled)::float8 AS disabled_subscriptions
  FROM (
    SELECT count(*)::float8 AS pending, (count(*) FILTER (WHERE retries > $1))::float8 AS parked
    FROM ${HERALD.deliveries} WHERE status = 'pending'
  ) d`;

type QueueDepths = Awaited<ReturnType<DeliveryQueue['depths']>>;
const QUEUE_STATES = ['waiting', 'delayed', 'active'] as const satisfies (keyof QueueDepths)[];

/**
 * Gauges computed when `/metrics` is scraped: sequencer lag, delivery backlog and disabled
 * subscriptions from Postgres, and (in processes with the worker or sequencer role, the ones that
 * use Redis) Bull queue depths. Each source is read once per scrape however many gauges it feeds,
 * and within {@link COLLECT_TIMEOUT_MS}: a source that fails or is slow turns its gauges to NaN
 * ("unknown", rather than a stale or falsely reassuring number) and counts in
 * `herald_metrics_collect_errors_total`. The values are cluster-wide, the same from every instance.
 */
@Injectable()
export class ScrapeTimeGauges {
  private readonly logger = new Logger('HeraldMetrics');
  private databaseRead?: Promise<DatabaseSnapshot>;
  private queueRead?: Promise<QueueDepths>;
  /** Sources whose last read failed: one warning per failing streak, not one per scrape. */
  private readonly failing = new Set<Source>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(DeliveryQueue) private readonly queue: DeliveryQueue,
    @Inject(HeraldMetrics) private readonly metrics: HeraldMetrics,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedNotificationsOptions,
  ) {
    const registry = metrics.registry;
    this.databaseGauge(
      registry,
      'herald_sequencer_lag_seconds',
      'Age of the oldest committed event not yet given a position; 0 when every event has one',
      (snapshot) => snapshot.sequencer_lag,
    );
    this.databaseGauge(
      registry,
      'herald_deliveries_pending',
      'Deliveries neither succeeded nor failed yet: due, in flight, or waiting for a retry',
      (snapshot) => snapshot.pending,
    );
    this.databaseGauge(
      registry,
      'herald_deliveries_parked',
      'Pending deliveries past their fast retries, waiting in Postgres (not Bull) for the sweeper',
      (snapshot) => snapshot.parked,
    );
    this.databaseGauge(
      registry,
      'herald_subscriptions_disabled',
      'Subscriptions turned off: by their owner, by a 410 Gone, or after no success for too long',
      (snapshot) => snapshot.disabled_subscriptions,
    );
    // An api-only process never needs Redis, and must not report it missing.
    if (options.runWorker || options.runSequencer) this.queueGauge(registry);
  }

  private databaseGauge(
    registry: Registry,
    name: string,
    help: string,
    pick: (snapshot: DatabaseSnapshot) => number,
  ): void {
    const read = () => this.readDatabase();
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        const snapshot = await read();
        this.set(snapshot ? pick(snapshot) : NaN);
      },
    });
  }

  private queueGauge(registry: Registry): void {
    const read = () => this.readQueue();
    new Gauge({
      name: 'herald_queue_jobs',
      help: 'Jobs in the Bull delivery queue, by state (waiting, delayed, active)',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        const depths = await read();
        for (const state of QUEUE_STATES) this.set({ state }, depths ? depths[state] : NaN);
      },
    });
  }

  /** The Postgres snapshot, shared by every gauge of one scrape; undefined when unavailable. */
  private readDatabase(): Promise<DatabaseSnapshot | undefined> {
    // The read in flight is kept until it really ends, even past the timeout, so scrapes during
    // an outage wait on one query instead of piling up connections.
    this.databaseRead ??= this.queryDatabase().finally(() => (this.databaseRead = undefined));
    return this.settle('postgres', this.databaseRead);
  }

  private queryDatabase(): Promise<DatabaseSnapshot> {
    // statement_timeout stops the query in Postgres too, not only our wait for it.
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SET LOCAL statement_timeout = ${COLLECT_TIMEOUT_MS}`);
      const [snapshot] = await manager.query<DatabaseSnapshot[]>(DATABASE_SNAPSHOT, [
        this.options.fastRetries,
      ]);
      if (!snapshot) throw new Error('the snapshot query returned no row');
      return snapshot;
    });
  }

  /** Bull's counts, shared by the labels of one scrape; undefined when Redis is unavailable. */
  private readQueue(): Promise<QueueDepths | undefined> {
    // While Redis is away its client holds commands until it is back: sharing the read in flight
    // keeps that to one command, however many scrapes time out meanwhile.
    this.queueRead ??= this.queue.depths().finally(() => (this.queueRead = undefined));
    return this.settle('redis', this.queueRead);
  }

  /** Waits for `read` at most {@link COLLECT_TIMEOUT_MS}; a failure is counted and logged. */
  private async settle<T>(source: Source, read: Promise<T>): Promise<T | undefined> {
    try {
      const value = await within(
        read,
        COLLECT_TIMEOUT_MS,
        `no answer within ${COLLECT_TIMEOUT_MS} ms`,
      );
      if (this.failing.delete(source)) this.logger.log(`Metrics from ${source} are back`);
      return value;
    } catch (error) {
      this.metrics.collectErrors.inc({ source });
      if (!this.failing.has(source)) {
        this.failing.add(source);
        this.logger.warn(
          `Metrics from ${source} unavailable (NaN until back): ${errorMessage(error)}`,
        );
      }
      return undefined;
    }
  }
}
