import { Inject, Injectable } from '@nestjs/common';
import { formatCursor } from '../common/cursor';
import type { TopicFilter } from '../common/topic-filter';
import { HeldPollLimiter } from '../limits/held-poll-limiter';
import { RESOLVED_OPTIONS } from '../notifications.constants';
import type { ResolvedNotificationsOptions } from '../notifications.options';
import { EventLogService, type EventPage } from './event-log.service';
import { SequencedListener } from './sequenced-listener';
import type { Waiter, WaitOutcome } from './waiter';
import { WaiterRegistry } from './waiter-registry';

/** What to poll for. */
export interface PollRequest {
  tenantId: string;
  /** Read after this position; undefined = from now. */
  after: bigint | undefined;
  filter: TopicFilter;
  limit: number;
  /** How long to hold the request when nothing is there yet, in ms. */
  waitMs: number;
  /** Aborted when the client goes away. */
  signal?: AbortSignal;
  /**
   * The caller already holds a place under the tenant's held-poll cap (a stream takes one for its
   * whole life); otherwise the poll takes one while it holds, or is refused `too_many_polls`.
   */
  holdsPlace?: boolean;
}

/** A polled page, and whether the poll held before it was answered. */
export interface PolledPage extends EventPage {
  /** False when the poll was answered from its first read of the log, without waiting. */
  held: boolean;
}

/**
 * The remote event: answers at once when events after the cursor exist, else holds the request
 * until one is sequenced, the wait runs out, the client leaves or the process shuts down. A poll
 * whose cursor is this process's known head (what the listener has handed over) waits without
 * reading the log: after a wake-up, the K polls that come back at the new head cost no query.
 */
@Injectable()
export class LongPollService {
  constructor(
    @Inject(EventLogService) private readonly log: EventLogService,
    @Inject(WaiterRegistry) private readonly registry: WaiterRegistry,
    @Inject(SequencedListener) private readonly listener: SequencedListener,
    @Inject(HeldPollLimiter) private readonly limiter: HeldPollLimiter,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedNotificationsOptions,
  ) {}

  /** Whether held polls are being answered for shutdown. */
  get isShuttingDown(): boolean {
    return this.registry.isClosed;
  }

  /** Polls the log; see {@link PollRequest}. */
  async poll(request: PollRequest): Promise<PolledPage> {
    let release: (() => void) | undefined;
    let held = false;
    try {
      const page = await this.hold(request, () => {
        if (!request.holdsPlace) release ??= this.limiter.acquire(request.tenantId);
        held = true;
      });
      return { ...page, held };
    } finally {
      release?.();
    }
  }

  /** The poll itself; `takePlace` is called each time it is about to hold. */
  private async hold(
    { tenantId, after, filter, limit, waitMs, signal }: PollRequest,
    takePlace: () => void,
  ): Promise<EventPage> {
    const deadline = Date.now() + waitMs;
    let cursor = after;
    // After a recheck the log is read whatever the cursor: something may be missing from memory.
    let mustRead = false;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0 || this.registry.isClosed)
        return this.log.read(tenantId, cursor, filter, limit);
      // Registered before the read: an event sequenced while the read runs still wakes it.
      const waiter = this.registry.register(tenantId, filter);
      const head = this.listener.headFor(tenantId);
      let page: EventPage;
      if (!mustRead && cursor !== undefined && cursor === head) {
        // Everything after the known head is still to be handed over, to this waiter too.
        page = { events: [], nextCursor: formatCursor(cursor), head };
      } else {
        try {
          page = await this.log.read(tenantId, cursor, filter, limit);
        } catch (error) {
          waiter.settle({ kind: 'gone' });
          throw error;
        }
        if (page.events.length > 0) {
          waiter.settle({ kind: 'gone' });
          return page;
        }
        cursor = BigInt(page.nextCursor);
      }
      const outcome = await this.wait(waiter, page.head, remaining, takePlace, signal);
      switch (outcome.kind) {
        case 'events': {
          const events = outcome.events.page(limit, this.options.maxPageBytes);
          return { events, nextCursor: events.at(-1)?.cursor ?? page.nextCursor, head: page.head };
        }
        case 'recheck':
          mustRead = true;
          continue;
        default:
          return page;
      }
    }
  }

  /** Holds `waiter`, which has checked the log through `head`, once it has a place. */
  private wait(
    waiter: Waiter,
    head: bigint,
    remaining: number,
    takePlace: () => void,
    signal: AbortSignal | undefined,
  ): Promise<WaitOutcome> {
    try {
      // Only a poll that would hold counts against the cap: one with events is answered anyway.
      takePlace();
    } catch (error) {
      waiter.settle({ kind: 'gone' });
      throw error;
    }
    waiter.checkedThrough = head;
    return waiter.wait(remaining, signal);
  }
}
