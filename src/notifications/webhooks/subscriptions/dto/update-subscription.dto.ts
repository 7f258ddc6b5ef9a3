import { ApiPropertyOptional, PartialType, PickType } from '@nestjs/swagger';
import { IsBoolean, IsOptional } from 'class-validator';
import { CreateSubscriptionDto } from './create-subscription.dto';

/**
 * Body of `PATCH /v1/subscriptions/:id`; enabling clears the reason it was disabled, `headers`
 * replaces all of them (`{}` removes them), and a `rateLimit` of null removes the limit.
 */
export class UpdateSubscriptionDto extends PartialType(
  PickType(CreateSubscriptionDto, ['url', 'topics', 'description', 'headers', 'rateLimit']),
) {
  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}
