import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';

/** Body of `POST /v1/subscriptions/:id/replay`. */
export class ReplayDto {
  @ApiProperty({
    example: '1042',
    description: 'Deliver again every retained event after this cursor (`0`: all)',
  })
  @Matches(/^\d{1,19}$/, { message: 'after must be a cursor returned by this API, or 0' })
  after!: string;
}

/** Answer of replay and test. */
export class ScheduledDto {
  @ApiProperty({
    example: 12,
    description:
      'Deliveries scheduled; a replay counts the events it will deliver again (not those whose ' +
      'delivery is still pending) and creates their deliveries in the background, a page at a time',
  })
  scheduled!: number;
}
