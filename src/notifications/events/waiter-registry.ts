import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { TopicFilter } from '../common/topics/topic-filter';
import { HeraldMetrics } from '../metrics/herald-metrics';
import type { LoggedEvent } from './event-log.service';
import { createWaiterDeadlines, Waiter } from './waiter';
import { WokenEvents } from './woken-events';

/** A sequenced event with its owner, as the listener hands it to the registry. */
export interface SequencedEvent extends LoggedEvent {
  tenantId: string;
}

/**
 * The held long polls of this process, indexed by tenant. Shutting down answers them all; a
 * waiter registered after that is settled at once.
 */
@Injectable()
export class WaiterRegistry implements OnModuleDestroy {
  private readonly byTenant = new Map<string, Set<Waiter>>();
  /** Every waiter's timeout, on one timer. */
  private readonly deadlines = createWaiterDeadlines();
  /** One function for all waiters to leave by, rather than a closure each. */
  private readonly release = (waiter: Waiter): void => this.remove(waiter);
  private count = 0;
  private closed = false;

  constructor(@Inject(HeraldMetrics) private readonly metrics: HeraldMetrics) {}

  /** Number of waiters held right now. */
  get size(): number {
    return this.count;
  }

  /** Whether the process is shutting down. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Tenants with at least one waiter. */
  tenants(): string[] {
    return [...this.byTenant.keys()];
  }

  /** Registers a waiter; do it before reading the log. */
  register(tenantId: string, filter: TopicFilter): Waiter {
    const waiter = new Waiter(tenantId, filter, this.release, this.deadlines);
    if (this.closed) {
      waiter.settle({ kind: 'shutdown' });
      return waiter;
    }
    let set = this.byTenant.get(tenantId);
    if (!set) this.byTenant.set(tenantId, (set = new Set()));
    set.add(waiter);
    this.count++;
    this.metrics.heldPolls.set(this.count);
    return waiter;
  }

  /**
   * Hands a sequenced batch covering positions (from, to] to the waiters it concerns. A waiter that
   * has read the log through at least `from` gets its matching events from memory; one whose read
   * is under way, or behind `from`, is told to read the log again. Waiters of one tenant with the
   * same filter and position get one {@link WokenEvents}, so their answer is built once.
   */
  deliver(from: bigint, events: SequencedEvent[]): void {
    const byTenant = new Map<string, SequencedEvent[]>();
    for (const event of events) {
      const list = byTenant.get(event.tenantId);
      if (list) list.push(event);
      else byTenant.set(event.tenantId, [event]);
    }
    for (const [tenantId, tenantEvents] of byTenant) {
      const waiters = this.byTenant.get(tenantId);
      if (!waiters) continue;
      const answers = new Map<string, WokenEvents | null>();
      for (const waiter of [...waiters]) {
        const checked = waiter.checkedThrough;
        const key = `${checked ?? ''} ${waiter.filter.key}`;
        let answer = answers.get(key);
        if (answer === undefined) {
          const matching = tenantEvents.filter(
            (event) =>
              waiter.filter.matches(event.topic) &&
              (checked === undefined || BigInt(event.cursor) > checked),
          );
          answers.set(key, (answer = matching.length > 0 ? new WokenEvents(matching) : null));
        }
        if (!answer) continue;
        if (checked === undefined || checked < from) waiter.settle({ kind: 'recheck' });
        else if (waiter.settle({ kind: 'events', events: answer }))
          this.observeLatency(answer.events[0]);
      }
    }
  }

  /** Tells every waiter to read the log again (after a gap in notifications). */
  recheckAll(): void {
    for (const waiters of [...this.byTenant.values()]) {
      for (const waiter of [...waiters]) waiter.settle({ kind: 'recheck' });
    }
  }

  /** Answers every held poll and refuses new waits: Nest calls it first when the app closes. */
  onModuleDestroy(): void {
    this.closed = true;
    for (const waiters of [...this.byTenant.values()]) {
      for (const waiter of [...waiters]) waiter.settle({ kind: 'shutdown' });
    }
  }

  private remove(waiter: Waiter): void {
    const set = this.byTenant.get(waiter.tenantId);
    if (!set?.delete(waiter)) return;
    if (set.size === 0) this.byTenant.delete(waiter.tenantId);
    this.count--;
    this.metrics.heldPolls.set(this.count);
  }

  private observeLatency(event: LoggedEvent): void {
    // Real elapsed time against the database's clock, not the injected one: this is a measurement.
    this.metrics.wakeLatency.observe(Math.max(0, Date.now() - event.createdAt.getTime()) / 1000);
  }
}
