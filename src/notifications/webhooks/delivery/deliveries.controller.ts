import { Body, Controller, HttpCode, Inject, Post, UseFilters, UsePipes } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../../common/api-errors.decorator';
import { EmptyBodyPipe } from '../../common/empty-body.pipe';
import { UuidParam } from '../../common/uuid-param.decorator';
import { createValidationPipe } from '../../common/validation.pipe';
import { HeraldExceptionFilter } from '../../http/herald-exception.filter';
import { Access, CurrentPrincipal } from '../../tenants/access.decorator';
import type { Principal } from '../../tenants/principal';
import { resolveTenant } from '../../tenants/resolve-tenant';
import { DeliveriesService } from './deliveries.service';
import { DeliveryDto, toDeliveryDto } from './dto/delivery.dto';

/** Acting on one delivery. */
@ApiTags('subscriptions')
@Access('tenant')
@UseFilters(HeraldExceptionFilter)
@UsePipes(createValidationPipe())
@Controller('v1/deliveries')
export class DeliveriesController {
  constructor(@Inject(DeliveriesService) private readonly deliveries: DeliveriesService) {}

  @Post(':id/retry')
  @HttpCode(202)
  @ApiOperation({ summary: 'Retry one delivery now, from the start of the schedule' })
  @ApiAcceptedResponse({ type: DeliveryDto })
  @ApiErrors(400, 404)
  async retry(
    @CurrentPrincipal() principal: Principal,
    @UuidParam('id') id: string,
    @Body(EmptyBodyPipe) _body: unknown,
  ): Promise<DeliveryDto> {
    const { delivery, attempts } = await this.deliveries.retry(
      resolveTenant(principal, undefined),
      id,
    );
    return toDeliveryDto(delivery, attempts);
  }
}
