import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { RESOLVED_OPTIONS } from '../notifications.constants';
import type { ResolvedNotificationsOptions } from '../notifications.options';

/**
 * Herald's Prometheus metrics, registered on the registry from the options (the host's, or one of
 * the module's own), so two apps in one process never clash on prom-client's global registry.
 */
@Injectable()
export class HeraldMetrics {
  readonly registry: Registry;
  readonly eventsPublished: Counter;
  readonly heldPolls: Gauge;
  readonly wakeLatency: Histogram;

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
  }
}
