import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { EventEntity } from '../event.entity';

/** Answer of `GET /v1/events/:id`. */
export class StoredEventDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  tenantId!: string;

  @ApiProperty({ example: 'order.shipped' })
  topic!: string;

  @ApiProperty({ type: 'object', additionalProperties: true })
  payload!: Record<string, unknown>;

  @ApiProperty({
    type: 'string',
    nullable: true,
    example: '1042',
    description: 'Null for the moment between commit and sequencing',
  })
  cursor!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiPropertyOptional({
    example: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    description: 'The W3C trace context the event was published in; absent when it was not traced',
  })
  traceparent?: string;
}

/** Maps an event row to its API form. */
export function toStoredEventDto(event: EventEntity): StoredEventDto {
  return {
    id: event.id,
    tenantId: event.tenantId,
    topic: event.topic,
    payload: event.payload,
    cursor: event.position,
    createdAt: event.createdAt.toISOString(),
    traceparent: event.traceparent ?? undefined,
  };
}
