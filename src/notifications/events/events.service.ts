import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { parseCursor } from '../common/cursors/cursor';
import { TopicFilter } from '../common/topics/topic-filter';
import { ReadRateLimiter } from '../limits/read-rate-limiter';
import { RESOLVED_OPTIONS } from '../notifications.constants';
import { NotificationsError, NotificationsErrorCode } from '../notifications.errors';
import type { ResolvedNotificationsOptions } from '../notifications.options';
import { NotificationPublisher } from '../publisher/notification-publisher';
import type { PublishedEvent } from '../publisher/publish.types';
import { ApiKeyHolds } from '../tenants/api-key-holds';
import type { Principal } from '../tenants/principal';
import { resolveTenant } from '../tenants/resolve-tenant';
import type { PublishEventDto } from './dto/publish-event.dto';
import type { ReadEventsQuery } from './dto/read-events.query';
import { EventEntity } from './event.entity';
import type { EventPage } from './event-log.service';
import { LongPollService, type PolledPage } from './long-poll.service';
import type { HeraldSpan } from '../tracing/herald-span';
import { HeraldTracing } from '../tracing/herald-tracing';

const DEFAULT_LIMIT = 100;
const DEFAULT_WAIT_SECONDS = 30;

/** The HTTP face of the event log: publishing and reading on behalf of a principal. */
@Injectable()
export class EventsService {
  constructor(
    @Inject(NotificationPublisher) private readonly publisher: NotificationPublisher,
    @Inject(LongPollService) private readonly longPoll: LongPollService,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedNotificationsOptions,
    @Inject(ReadRateLimiter) private readonly readLimiter: ReadRateLimiter,
    @Inject(ApiKeyHolds) private readonly holds: ApiKeyHolds,
    @InjectRepository(EventEntity) private readonly events: Repository<EventEntity>,
    @Inject(HeraldTracing) private readonly tracing: HeraldTracing,
  ) {}

  /**
   * Publishes on behalf of the caller, continuing the trace of the request's `traceparent` (and
   * `tracestate`) headers when it sent a valid one.
   */
  publish(
    principal: Principal,
    dto: PublishEventDto,
    idempotencyKey: string | undefined,
    trace: { traceparent?: string; tracestate?: string } = {},
  ): Promise<PublishedEvent> {
    const tenantId = resolveTenant(principal, dto.tenantId);
    const { traceparent, tracestate } = trace;
    return this.publisher.publish(
      { tenantId, topic: dto.topic, payload: dto.payload },
      {
        idempotencyKey,
        traceContext: traceparent === undefined ? undefined : { traceparent, tracestate },
      },
    );
  }

  /**
   * Reads the caller's events after a cursor, holding the request up to `wait` seconds (default
   * 30, capped by `longPollMaxWait`) when there are none yet. A read answered at once spends the
   * caller's read budget. Revoking the caller's key ends a held read at once.
   *
   * @param request the request's controller, aborted when the client leaves (see `ClientGone`)
   * @throws NotificationsError `rate_limited` when that budget is spent; `unauthorized` when the
   *   key was revoked while the read was held
   */
  async read(
    principal: Principal,
    query: ReadEventsQuery,
    request?: AbortController,
  ): Promise<EventPage> {
    // One async function for the whole read: a held poll keeps one suspended frame here.
    const span = this.tracing.start('herald poll', 'internal', 'active');
    try {
      const tenantId = resolveTenant(principal, query.tenantId);
      this.readLimiter.check(principal);
      const hold = this.holds.hold(principal, request);
      let page: PolledPage;
      try {
        page = await this.longPoll.poll({
          tenantId,
          after: query.after === undefined ? undefined : parseCursor(query.after),
          filter: new TopicFilter(query.topics ?? []),
          limit: query.limit ?? DEFAULT_LIMIT,
          waitMs: Math.min(
            (query.wait ?? DEFAULT_WAIT_SECONDS) * 1000,
            this.options.longPollMaxWait,
          ),
          signal: hold.signal,
        });
      } finally {
        hold.release();
      }
      hold.throwIfRevoked();
      if (!page.held) await this.readLimiter.spend(principal);
      if (span.recording) tracePollAnswer(span, tenantId, page);
      return page;
    } catch (error) {
      span.fail(error);
      throw error;
    } finally {
      span.end();
    }
  }

  /** One event the caller may see; another tenant's event is `event_not_found`. */
  async get(principal: Principal, id: string): Promise<EventEntity> {
    const event = await this.events.findOneBy(
      principal.kind === 'tenant' ? { id, tenantId: principal.tenantId } : { id },
    );
    if (!event)
      throw new NotificationsError(NotificationsErrorCode.EventNotFound, `Event ${id} not found`);
    return event;
  }
}

/** What a long poll answered, on its `herald poll` span, linked to the events' publish spans. */
function tracePollAnswer(span: HeraldSpan, tenantId: string, page: PolledPage): void {
  span.set({
    'messaging.system': 'herald',
    'messaging.operation.type': 'receive',
    'messaging.operation.name': 'poll',
    'messaging.batch.message_count': page.events.length,
    'herald.tenant.id': tenantId,
    'herald.poll.held': page.held,
    'herald.poll.next_cursor': page.nextCursor,
  });
  span.linkTo(page.events.map((event) => event.traceparent));
}
