import { ApiProperty } from '@nestjs/swagger';
import type { LoggedEvent } from '../event-log.service';

/** An event as a reader of the log sees it. */
export class EventDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'order.shipped' })
  topic!: string;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { orderId: 'o_123' } })
  payload!: Record<string, unknown>;

  @ApiProperty({
    example: '1042',
    description: 'Opaque position of this event; pass it as `after` to read what follows',
  })
  cursor!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

/** Maps a logged event to its API form. */
export function toEventDto(event: LoggedEvent): EventDto {
  return {
    id: event.id,
    topic: event.topic,
    payload: event.payload,
    cursor: event.cursor,
    createdAt: event.createdAt.toISOString(),
  };
}
