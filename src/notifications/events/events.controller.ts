import {
  Body,
  Controller,
  Get,
  Header,
  Headers,
  Inject,
  Post,
  Query,
  Res,
  UseFilters,
  UsePipes,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrors } from '../http/api-errors.decorator';
import { createValidationPipe } from '../http/validation.pipe';
import { HeraldExceptionFilter } from '../http/herald-exception.filter';
import { rawResponse } from '../http/raw-http';
import { UuidParam } from '../http/uuid-param.decorator';
import { Access, AdmitPortalSessions, CurrentPrincipal } from '../tenants/access.decorator';
import type { Principal } from '../tenants/principal';
import { EventPageDto, serializeEventPage } from './dto/event-page.dto';
import { PublishEventDto } from './dto/publish-event.dto';
import { PublishedEventDto, toPublishedEventDto } from './dto/published-event.dto';
import { ReadEventsQuery } from './dto/read-events.query';
import { StoredEventDto, toStoredEventDto } from './dto/stored-event.dto';
import { EventStreamService } from './event-stream.service';
import { EventsService } from './events.service';
import { StreamEventsQuery } from './dto/stream-events.query';
import { ClientGone } from '../http/client-gone.decorator';
import { RateLimit } from '../limits/rate-limit.decorator';

/** Publishing events and reading them by cursor. */
@ApiTags('events')
@Access('any')
@UseFilters(HeraldExceptionFilter)
@UsePipes(createValidationPipe())
@Controller('v1/events')
export class EventsController {
  constructor(
    @Inject(EventsService) private readonly events: EventsService,
    @Inject(EventStreamService) private readonly streams: EventStreamService,
  ) {}

  @Post()
  @RateLimit('publish')
  @ApiOperation({ summary: 'Publish an event' })
  // Listed in the document in the opposite order.
  @ApiHeader({
    name: 'tracestate',
    required: false,
    description: 'W3C Trace Context, with `traceparent`',
  })
  @ApiHeader({
    name: 'traceparent',
    required: false,
    description:
      'W3C Trace Context: the event is published in this trace and its webhooks carry it on; an invalid value is ignored',
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Publishing again with the same key and body returns the first event',
  })
  @ApiCreatedResponse({
    type: PublishedEventDto,
    description: 'Published; `Idempotent-Replayed: true` when the key had been used before',
  })
  @ApiErrors(400, 404, 413, 422)
  async publish(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: PublishEventDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Headers('traceparent') traceparent: string | undefined,
    @Headers('tracestate') tracestate: string | undefined,
    @Res({ passthrough: true }) response: object,
  ): Promise<PublishedEventDto> {
    const event = await this.events.publish(principal, dto, idempotencyKey, {
      traceparent,
      tracestate,
    });
    if (event.replayed) rawResponse(response).setHeader('Idempotent-Replayed', 'true');
    return toPublishedEventDto(event);
  }

  // Reads answered at once spend the read budget (ReadRateLimiter), known only after the first
  // read of the log; a poll that holds takes a place under the held-poll cap instead. The page
  // goes out as its serialized body: polls woken together with the same events share one.
  @Get()
  @AdmitPortalSessions()
  @Header('Content-Type', 'application/json; charset=utf-8')
  @RateLimit(false)
  @ApiOperation({
    summary: 'Long poll: events after a cursor',
    description:
      'Answers at once when events after `after` exist; otherwise holds the request up to `wait` ' +
      'seconds and answers as soon as one arrives. On timeout: empty `events`, the same cursor. ' +
      'A page stops at `limit` events or at the byte budget (about 1 MiB by default), whichever ' +
      'comes first, and always holds at least one event; `nextCursor` continues after its last.',
  })
  @ApiOkResponse({ type: EventPageDto })
  @ApiErrors(400, 404, 410)
  read(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ReadEventsQuery,
    @ClientGone() request: AbortController,
  ): Promise<string> {
    // No async frame of its own: a held poll keeps one promise here, not a suspended function.
    return this.events.read(principal, query, request).then(serializeEventPage);
  }

  @Get('stream')
  @AdmitPortalSessions()
  @RateLimit(false)
  @ApiOperation({
    summary: 'Stream events as Server-Sent Events',
    description:
      'Each event is one `data:` line holding the same JSON as a long-poll event, with `id:` set ' +
      'to its cursor; reconnect with `Last-Event-ID` (or `after`) to resume. Quiet streams get a ' +
      '`: heartbeat` comment.',
  })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Resume after this cursor' })
  @ApiOkResponse({
    description: 'An endless event stream',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  @ApiErrors(400, 404, 410)
  stream(
    @CurrentPrincipal() principal: Principal,
    @Query() query: StreamEventsQuery,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() response: object,
    @ClientGone() request: AbortController,
  ): Promise<void> {
    return this.streams.stream(principal, query, lastEventId, response, request);
  }

  @Get(':id')
  @AdmitPortalSessions()
  @ApiOperation({ summary: 'Read one event' })
  @ApiOkResponse({ type: StoredEventDto })
  @ApiErrors(400, 404)
  async get(
    @CurrentPrincipal() principal: Principal,
    @UuidParam('id') id: string,
  ): Promise<StoredEventDto> {
    return toStoredEventDto(await this.events.get(principal, id));
  }
}
