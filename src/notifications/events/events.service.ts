import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { parseCursor } from '../common/cursor';
import { TopicFilter } from '../common/topic-filter';
import { NotificationsError, NotificationsErrorCode } from '../notifications.errors';
import { NotificationPublisher } from '../publisher/notification-publisher';
import type { PublishedEvent } from '../publisher/publish.types';
import type { Principal } from '../tenants/principal';
import { resolveTenant } from '../tenants/resolve-tenant';
import type { PublishEventDto } from './dto/publish-event.dto';
import type { ReadEventsQuery } from './dto/read-events.query';
import { EventEntity } from './event.entity';
import { EventLogService, type EventPage } from './event-log.service';

const DEFAULT_LIMIT = 100;

/** The HTTP face of the event log: publishing and reading on behalf of a principal. */
@Injectable()
export class EventsService {
  constructor(
    @Inject(NotificationPublisher) private readonly publisher: NotificationPublisher,
    @Inject(EventLogService) private readonly log: EventLogService,
    @InjectRepository(EventEntity) private readonly events: Repository<EventEntity>,
  ) {}

  /** Publishes on behalf of the caller. */
  publish(
    principal: Principal,
    dto: PublishEventDto,
    idempotencyKey: string | undefined,
  ): Promise<PublishedEvent> {
    const tenantId = resolveTenant(principal, dto.tenantId);
    return this.publisher.publish(
      { tenantId, topic: dto.topic, payload: dto.payload },
      { idempotencyKey },
    );
  }

  /** Reads the caller's events after a cursor. */
  read(principal: Principal, query: ReadEventsQuery): Promise<EventPage> {
    const tenantId = resolveTenant(principal, query.tenantId);
    const after = query.after === undefined ? undefined : parseCursor(query.after);
    return this.log.read(
      tenantId,
      after,
      new TopicFilter(query.topics ?? []),
      query.limit ?? DEFAULT_LIMIT,
    );
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
