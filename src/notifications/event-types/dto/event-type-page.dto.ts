import { ApiProperty } from '@nestjs/swagger';
import { EventTypeDto } from './event-type.dto';

/** Answer of `GET /v1/event-types`. */
export class EventTypePageDto {
  @ApiProperty({ type: [EventTypeDto] })
  data!: EventTypeDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next page; null at the end',
  })
  nextCursor!: string | null;
}
