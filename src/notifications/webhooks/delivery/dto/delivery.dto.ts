import { ApiProperty } from '@nestjs/swagger';
import type { DeliveryAttemptEntity } from '../delivery-attempt.entity';
import type { DeliveryEntity, DeliveryStatus } from '../delivery.entity';

/** One HTTP call of a delivery. */
export class DeliveryAttemptDto {
  @ApiProperty({ example: 1 })
  attempt!: number;

  @ApiProperty({ format: 'date-time' })
  startedAt!: string;

  @ApiProperty({ type: Number, nullable: true, example: 42 })
  durationMs!: number | null;

  @ApiProperty({ type: Number, nullable: true, example: 200 })
  statusCode!: number | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The start of the answer, at most 4 KiB',
  })
  responseSnippet!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'HeadersTimeoutError: Headers Timeout Error',
  })
  error!: string | null;
}

/** A delivery of one event to one subscription. */
export class DeliveryDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  eventId!: string;

  @ApiProperty({ format: 'uuid' })
  subscriptionId!: string;

  @ApiProperty({ enum: ['pending', 'succeeded', 'failed'] })
  status!: DeliveryStatus;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the next attempt is due (pending only)',
  })
  nextAttemptAt!: string | null;

  @ApiProperty({ type: String, nullable: true })
  lastError!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;

  @ApiProperty({ type: [DeliveryAttemptDto] })
  attempts!: DeliveryAttemptDto[];
}

/** Answer of `GET /v1/subscriptions/:id/deliveries`. */
export class DeliveryPageDto {
  @ApiProperty({ type: [DeliveryDto] })
  data!: DeliveryDto[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}

/** Maps a delivery and its attempts to their API form. */
export function toDeliveryDto(
  delivery: DeliveryEntity,
  attempts: DeliveryAttemptEntity[],
): DeliveryDto {
  return {
    id: delivery.id,
    eventId: delivery.eventId,
    subscriptionId: delivery.subscriptionId,
    status: delivery.status,
    nextAttemptAt: delivery.status === 'pending' ? delivery.nextAttemptAt.toISOString() : null,
    lastError: delivery.lastError,
    createdAt: delivery.createdAt.toISOString(),
    updatedAt: delivery.updatedAt.toISOString(),
    attempts: attempts.map((attempt) => ({
      attempt: attempt.attempt,
      startedAt: attempt.startedAt.toISOString(),
      durationMs: attempt.durationMs,
      statusCode: attempt.statusCode,
      responseSnippet: attempt.responseSnippet,
      error: attempt.error,
    })),
  };
}
