import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
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

  @ApiPropertyOptional({
    example: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    description: 'The W3C trace context the event was published in; absent when it was not traced',
  })
  traceparent?: string;
}

/** Maps a logged event to its API form. */
export function toEventDto(event: LoggedEvent): EventDto {
  return {
    id: event.id,
    topic: event.topic,
    payload: event.payload,
    cursor: event.cursor,
    createdAt: event.createdAt.toISOString(),
    // Undefined when absent, which JSON leaves out.
    traceparent: event.traceparent,
  };
}
