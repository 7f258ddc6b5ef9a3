import { ApiProperty } from '@nestjs/swagger';
import { SubscriptionDto } from './subscription.dto';

/** Answer of `GET /v1/subscriptions`. */
export class SubscriptionPageDto {
  @ApiProperty({ type: [SubscriptionDto] })
  data!: SubscriptionDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next page; null at the end',
  })
  nextCursor!: string | null;
}
