import { Inject, Injectable } from '@nestjs/common';
import { formatCursor } from '../common/cursors/cursor';
import type { TopicFilter } from '../common/topics/topic-filter';
import { HeldPollLimiter } from '../limits/held-poll-limiter';
import { RESOLVED_OPTIONS } from '../notifications.constants';
import type { ResolvedNotificationsOptions } from '../notifications.options';
import { EventLogService, type EventPage } from './event-log.service';
import { SequencedListener } from './sequenced-listener';
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

  /**
   * Polls the log; see {@link PollRequest}. One async function for the whole poll, its place
   * under the cap kept in a local: a held poll keeps one suspended frame here and no closure.
   */
  async poll({
    tenantId,
    after,
    filter,
    limit,
    waitMs,
    signal,
    holdsPlace,
  }: PollRequest): Promise<PolledPage> {
    const deadline = this.options.clock.now().getTime() + waitMs;
    let cursor = after;
    // After a recheck the log is read whatever the cursor: something may be missing from memory.
    let mustRead = false;
    let release: (() => void) | undefined;
    let held = false;
    try {
      for (;;) {
        const remaining = deadline - this.options.clock.now().getTime();
        if (remaining <= 0 || this.registry.isClosed)
          return { ...(await this.log.read(tenantId, cursor, filter, limit)), held };
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
            return { ...page, held };
          }
          cursor = BigInt(page.nextCursor);
        }
        // Only a poll that would hold counts against the cap: one with events is answered anyway.
        try {
          if (!holdsPlace) release ??= this.limiter.acquire(tenantId);
        } catch (error) {
          waiter.settle({ kind: 'gone' });
          throw error;
        }
        held = true;
        waiter.checkedThrough = page.head;
        const outcome = await waiter.wait(remaining, signal);
        switch (outcome.kind) {
          case 'events': {
            const events = outcome.events.page(limit, this.options.maxPageBytes);
            const nextCursor = events.at(-1)?.cursor ?? page.nextCursor;
            return { events, nextCursor, head: page.head, held };
          }
          case 'recheck':
            mustRead = true;
            continue;
          default:
            return { ...page, held };
        }
      }
    } finally {
      release?.();
    }
  }
}
