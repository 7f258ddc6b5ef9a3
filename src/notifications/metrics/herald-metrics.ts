import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { RESOLVED_OPTIONS } from '../notifications.constants';
import type { ResolvedNotificationsOptions } from '../notifications.options';

/** Every outcome an attempt can have, so each series exists (at 0) from the first scrape. */
const ATTEMPT_OUTCOMES = ['succeeded', 'retrying', 'failed', 'interrupted'] as const;

/** What became of an attempt whose outcome could not be recorded. */
const RECORD_FAILURE_RESULTS = ['failed', 'lost'] as const;

/** This process's webhook slots, as the dispatcher counts them; read at scrape time. */
export interface SlotUsage {
  /** Attempts in flight. */
  inFlight: number;
  /** Tenants holding every slot `maxInFlightPerTenant` lets them have. */
  tenantsAtCap: number;
}

/**
 * Herald's Prometheus metrics, registered on the registry from the options (the host's, or one of
 * the module's own), so two apps in one process never clash on prom-client's global registry.
 * Gauges read from Postgres and Redis at scrape time live in `ScrapeTimeGauges`.
 */
@Injectable()
export class HeraldMetrics {
  /** The registry every Herald metric is on: serve `await registry.metrics()` on a host's `/metrics`. */
  readonly registry: Registry;
  /** Events written to the outbox by this process. */
  readonly eventsPublished: Counter;
  /** Long polls and streams held open in this process now. */
  readonly heldPolls: Gauge;
  /** From an event being written to a held poll being answered with it. */
  readonly wakeLatency: Histogram;
  /** Finished webhook attempts by what became of the delivery (`outcome`). */
  readonly deliveries: Counter<'outcome'>;
  /** One webhook attempt's HTTP call, by `outcome`. */
  readonly attemptDuration: Histogram<'outcome'>;
  /** Webhook attempts that failed unsent because no configured key opens the signing secret. */
  readonly signingSecretFailures: Counter;
  /** Scrape-time reads that failed or ran out of time, by `source` (postgres, redis). */
  readonly collectErrors: Counter<'source'>;
  /**
   * Attempts whose outcome could not be recorded, by `result`: `failed` (the delivery was failed
   * with the reason) or `lost` (not even that could be written; its lease brings it back).
   */
  readonly recordFailures: Counter<'result'>;
  /** Times a subscription with a delivery ready waited because its tenant had every slot it may. */
  readonly tenantCapWaits: Counter;
  private slotUsage: () => SlotUsage = () => ({ inFlight: 0, tenantsAtCap: 0 });

  constructor(@Inject(RESOLVED_OPTIONS) options: ResolvedNotificationsOptions) {
    this.registry = options.metricsRegistry;
    const registers = [this.registry];
    this.eventsPublished = new Counter({
      name: 'herald_events_published_total',
      help: 'Events written to the outbox by this process (counted when the insert returns)',
      registers,
    });
    this.heldPolls = new Gauge({
      name: 'herald_longpoll_waiters',
      help: 'Long polls and streams held open right now, waiting for an event',
      registers,
    });
    this.wakeLatency = new Histogram({
      name: 'herald_longpoll_wake_latency_seconds',
      help: 'From an event being written to a held poll being answered with it',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.deliveries = new Counter({
      name: 'herald_deliveries_total',
      help: 'Webhook attempts finished by this process, by what became of the delivery',
      labelNames: ['outcome'],
      registers,
    });
    this.attemptDuration = new Histogram({
      name: 'herald_delivery_attempt_duration_seconds',
      help: 'One webhook attempt, from sending the request to the answer, timeout or error',
      labelNames: ['outcome'],
      // Up to the largest delivery timeout (5 m): a hanging receiver shows in the top buckets.
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60, 300],
      registers,
    });
    this.signingSecretFailures = new Counter({
      name: 'herald_delivery_signing_secret_failures_total',
      help: 'Webhook attempts failed unsent because no configured encryption key opens the secret',
      registers,
    });
    this.collectErrors = new Counter({
      name: 'herald_metrics_collect_errors_total',
      help: 'Scrape-time reads that failed or timed out; the gauges they feed read NaN meanwhile',
      labelNames: ['source'],
      registers,
    });
    this.recordFailures = new Counter({
      name: 'herald_delivery_record_failures_total',
      help: 'Webhook attempts whose outcome could not be recorded: failed with the reason, or lost to the lease',
      labelNames: ['result'],
      registers,
    });
    this.tenantCapWaits = new Counter({
      name: 'herald_delivery_tenant_cap_waits_total',
      help: 'Times a subscription with a delivery ready waited for a slot because its tenant had every slot its cap allows',
      registers,
    });
    const readSlots = () => this.slotUsage();
    new Gauge({
      name: 'herald_delivery_attempts_in_flight',
      help: 'Webhook attempts in flight in this process',
      registers,
      collect() {
        this.set(readSlots().inFlight);
      },
    });
    new Gauge({
      name: 'herald_delivery_tenants_at_cap',
      help: 'Tenants holding every webhook slot of this process that maxInFlightPerTenant allows them',
      registers,
      collect() {
        this.set(readSlots().tenantsAtCap);
      },
    });
    for (const source of ['postgres', 'redis']) this.collectErrors.inc({ source }, 0);
    for (const result of RECORD_FAILURE_RESULTS) this.recordFailures.inc({ result }, 0);
    for (const outcome of ATTEMPT_OUTCOMES) {
      this.deliveries.inc({ outcome }, 0);
      this.attemptDuration.zero({ outcome });
    }
  }

  /** Where the slot gauges read from: the dispatcher of this process, which registers itself. */
  readSlotUsageFrom(read: () => SlotUsage): void {
    this.slotUsage = read;
  }
}
