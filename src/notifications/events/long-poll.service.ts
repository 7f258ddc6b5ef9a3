import { Inject, Injectable } from '@nestjs/common';
import type { TopicFilter } from '../common/topic-filter';
import { EventLogService, type EventPage } from './event-log.service';
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
}

/**
 * The remote event: answers at once when events after the cursor exist, else holds the request
 * until one is sequenced, the wait runs out, the client leaves or the process shuts down.
 */
@Injectable()
export class LongPollService {
  constructor(
    @Inject(EventLogService) private readonly log: EventLogService,
    @Inject(WaiterRegistry) private readonly registry: WaiterRegistry,
  ) {}

  /** Whether held polls are being answered for shutdown. */
  get isShuttingDown(): boolean {
    return this.registry.isClosed;
  }

  /** Polls the log; see {@link PollRequest}. */
  async poll({ tenantId, after, filter, limit, waitMs, signal }: PollRequest): Promise<EventPage> {
    const deadline = Date.now() + waitMs;
    let cursor = after;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0 || this.registry.isClosed)
        return this.log.read(tenantId, cursor, filter, limit);
      // Registered before the read: an event sequenced while the read runs still wakes it.
      const waiter = this.registry.register(tenantId, filter);
      let page: EventPage;
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
      waiter.checkedThrough = page.head;
      const outcome = await waiter.wait(remaining, signal);
      switch (outcome.kind) {
        case 'events': {
          const events = outcome.events.slice(0, limit);
          return { events, nextCursor: events.at(-1)?.cursor ?? page.nextCursor, head: page.head };
        }
        case 'recheck':
          continue;
        default:
          return page;
      }
    }
  }
}
