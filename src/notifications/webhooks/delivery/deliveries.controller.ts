import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Post,
  Query,
  UseFilters,
  UsePipes,
} from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../../http/api-errors.decorator';
import { EmptyBodyPipe } from '../../http/empty-body.pipe';
import { UuidParam } from '../../http/uuid-param.decorator';
import { createValidationPipe } from '../../http/validation.pipe';
import { HeraldExceptionFilter } from '../../http/herald-exception.filter';
import { Access, AdmitPortalSessions } from '../../tenants/access.decorator';
import { CurrentTenant } from '../../tenants/current-tenant.decorator';
import { DeliveriesService } from './deliveries.service';
import { DeliveryDto, DeliveryPageDto, toDeliveryDto } from './dto/delivery.dto';
import { ListDeliveriesQuery } from './dto/list-deliveries.query';
import { ReplayDto, ScheduledDto } from './dto/replay.dto';

/** A subscription's deliveries: listing them, retrying one, replaying, testing. */
@ApiTags('subscriptions')
@Access('tenant')
@AdmitPortalSessions()
@UseFilters(HeraldExceptionFilter)
@UsePipes(createValidationPipe())
@Controller('v1')
export class DeliveriesController {
  constructor(@Inject(DeliveriesService) private readonly deliveries: DeliveriesService) {}

  @Post('subscriptions/:id/test')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a webhook.test event to this endpoint only' })
  @ApiAcceptedResponse({ type: ScheduledDto })
  @ApiErrors(400, 404)
  async test(
    @CurrentTenant() tenantId: string,
    @UuidParam('id') id: string,
    @Body(EmptyBodyPipe) _body: unknown,
  ): Promise<ScheduledDto> {
    await this.deliveries.test(tenantId, id);
    return { scheduled: 1 };
  }

  @Post('subscriptions/:id/replay')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Deliver again every retained event after a cursor',
    description:
      'Answers at once with the count; the deliveries are created in the background, 1,000 events ' +
      'per transaction, and a stopped process leaves the rest to the next one',
  })
  @ApiAcceptedResponse({ type: ScheduledDto })
  @ApiErrors(400, 404)
  async replay(
    @CurrentTenant() tenantId: string,
    @UuidParam('id') id: string,
    @Body() dto: ReplayDto,
  ): Promise<ScheduledDto> {
    return { scheduled: await this.deliveries.replay(tenantId, id, dto.after) };
  }

  @Get('subscriptions/:id/deliveries')
  @ApiOperation({ summary: 'Deliveries with their attempts, newest first' })
  @ApiOkResponse({ type: DeliveryPageDto })
  @ApiErrors(400, 404)
  async list(
    @CurrentTenant() tenantId: string,
    @UuidParam('id') id: string,
    @Query() query: ListDeliveriesQuery,
  ): Promise<DeliveryPageDto> {
    const page = await this.deliveries.list(tenantId, id, query);
    return {
      data: page.data.map((d) => toDeliveryDto(d.delivery, d.attempts)),
      nextCursor: page.nextCursor,
    };
  }

  @Post('deliveries/:id/retry')
  @HttpCode(202)
  @ApiOperation({ summary: 'Retry one delivery now, from the start of the schedule' })
  @ApiAcceptedResponse({ type: DeliveryDto })
  @ApiErrors(400, 404)
  async retry(
    @CurrentTenant() tenantId: string,
    @UuidParam('id') id: string,
    @Body(EmptyBodyPipe) _body: unknown,
  ): Promise<DeliveryDto> {
    const { delivery, attempts } = await this.deliveries.retry(tenantId, id);
    return toDeliveryDto(delivery, attempts);
  }
}
