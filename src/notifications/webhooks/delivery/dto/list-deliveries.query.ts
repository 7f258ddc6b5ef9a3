import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageQuery } from '../../../common/cursors/page-query';
import type { DeliveryStatus } from '../delivery.entity';

/** Query of `GET /v1/subscriptions/:id/deliveries`. */
export class ListDeliveriesQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['pending', 'succeeded', 'failed'] })
  @IsOptional()
  @IsIn(['pending', 'succeeded', 'failed'])
  status?: DeliveryStatus;
}
