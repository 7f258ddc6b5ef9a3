import { ApiProperty } from '@nestjs/swagger';
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
  };
}
