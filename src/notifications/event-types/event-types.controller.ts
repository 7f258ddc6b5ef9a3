import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Put,
  Query,
  Res,
  UseFilters,
  UsePipes,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { PageQuery } from '../common/cursors/page-query';
import { ApiErrors } from '../http/api-errors.decorator';
import { EmptyBodyPipe } from '../http/empty-body.pipe';
import { HeraldExceptionFilter } from '../http/herald-exception.filter';
import { createValidationPipe } from '../http/validation.pipe';
import { Access, AdmitPortalSessions } from '../tenants/access.decorator';
import { EventTypePageDto } from './dto/event-type-page.dto';
import { EventTypeDto, toEventTypeDto } from './dto/event-type.dto';
import { PutEventTypeDto } from './dto/put-event-type.dto';
import { EventTypesService } from './event-types.service';

const NAME_PARAM = ApiParam({
  name: 'name',
  description: 'The event type: a topic such as `order.created`, without wildcards',
});

/** The event-type catalog: read by anyone with credentials, declared at run time by admins. */
@ApiTags('event-types')
@UseFilters(HeraldExceptionFilter)
@UsePipes(createValidationPipe())
@Controller('v1/event-types')
export class EventTypesController {
  constructor(
    @Inject(EventTypesService) private readonly eventTypes: EventTypesService,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {}

  @Get()
  @Access('any')
  @AdmitPortalSessions()
  @ApiOperation({ summary: 'List the event types, by name' })
  @ApiOkResponse({ type: EventTypePageDto })
  @ApiErrors(400)
  list(@Query() query: PageQuery): EventTypePageDto {
    const page = this.eventTypes.list(query);
    return { data: page.data.map(toEventTypeDto), nextCursor: page.nextCursor };
  }

  @Put(':name')
  @Access('admin')
  @ApiOperation({
    summary: 'Declare an event type, or replace one declared so',
    description:
      "A type declared in the host's code cannot be changed here (409 `event_type_declared_in_code`)",
  })
  @ApiCreatedResponse({ type: EventTypeDto, description: 'Declared' })
  @ApiOkResponse({ type: EventTypeDto, description: 'Replaced' })
  @ApiErrors(400, 409)
  @NAME_PARAM
  async put(
    @Param('name') name: string,
    @Body() dto: PutEventTypeDto,
    @Res() response: object,
  ): Promise<void> {
    const { eventType, created } = await this.eventTypes.put(name, dto);
    // The status depends on the outcome, which a route's fixed @HttpCode cannot say.
    this.adapterHost.httpAdapter.reply(response, toEventTypeDto(eventType), created ? 201 : 200);
  }

  @Delete(':name')
  @Access('admin')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove an event type declared at run time' })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiErrors(400, 404, 409)
  @NAME_PARAM
  remove(@Param('name') name: string, @Body(EmptyBodyPipe) _body: unknown): Promise<void> {
    return this.eventTypes.remove(name);
  }
}
