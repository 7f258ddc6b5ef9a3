import { ApiProperty } from '@nestjs/swagger';
import type { PublishedEvent } from '../../publisher/publish.types';

/** Answer of `POST /v1/events`. */
export class PublishedEventDto {
  @ApiProperty({ format: 'uuid', example: '019ab8f2-6c1e-7d3a-9f0e-2b4c6d8e0f12' })
  id!: string;

  @ApiProperty({ example: 'order.shipped' })
  topic!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

/** Maps a published event to its API form. */
export function toPublishedEventDto(event: PublishedEvent): PublishedEventDto {
  return { id: event.id, topic: event.topic, createdAt: event.createdAt.toISOString() };
}
