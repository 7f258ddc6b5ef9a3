import { Body, Controller, Get, Headers, Inject, Post, Query, Res, UsePipes } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiErrors } from '../common/api-errors.decorator';
import { createValidationPipe } from '../common/validation.pipe';
import { UuidParam } from '../common/uuid-param.decorator';
import { Access, CurrentPrincipal } from '../tenants/access.decorator';
import type { Principal } from '../tenants/principal';
import { EventPageDto, toEventPageDto } from './dto/event-page.dto';
import { PublishEventDto } from './dto/publish-event.dto';
import { PublishedEventDto, toPublishedEventDto } from './dto/published-event.dto';
import { ReadEventsQuery } from './dto/read-events.query';
import { StoredEventDto, toStoredEventDto } from './dto/stored-event.dto';
import { EventsService } from './events.service';

/** Publishing events and reading them by cursor. */
@ApiTags('events')
@Access('any')
@UsePipes(createValidationPipe())
@Controller('v1/events')
export class EventsController {
  constructor(@Inject(EventsService) private readonly events: EventsService) {}

  @Post()
  @ApiOperation({ summary: 'Publish an event' })
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
    @Res({ passthrough: true }) response: Response,
  ): Promise<PublishedEventDto> {
    const event = await this.events.publish(principal, dto, idempotencyKey);
    if (event.replayed) response.setHeader('Idempotent-Replayed', 'true');
    return toPublishedEventDto(event);
  }

  @Get()
  @ApiOperation({ summary: 'Read events after a cursor' })
  @ApiOkResponse({ type: EventPageDto })
  @ApiErrors(400, 404, 410)
  async read(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ReadEventsQuery,
  ): Promise<EventPageDto> {
    return toEventPageDto(await this.events.read(principal, query));
  }

  @Get(':id')
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
