import { ApiProperty } from '@nestjs/swagger';
import type { EventPage } from '../event-log.service';
import { EventDto, toEventDto } from './event.dto';

/** Answer of `GET /v1/events`. */
export class EventPageDto {
  @ApiProperty({ type: [EventDto] })
  events!: EventDto[];

  @ApiProperty({
    example: '1042',
    description: 'Pass as `after` on the next poll; the same cursor when no event came',
  })
  nextCursor!: string;
}

/** Maps a page of the log to its API form. */
export function toEventPageDto(page: EventPage): EventPageDto {
  return { events: page.events.map(toEventDto), nextCursor: page.nextCursor };
}
