import { ApiProperty } from '@nestjs/swagger';
import type { SubscriptionEntity } from '../subscription.entity';

/** A subscription as the API shows it; the secret is never part of it. */
export class SubscriptionDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'order-sync.eu-1',
    description: 'The id the client gave the registration, if any',
  })
  uid!: string | null;

  @ApiProperty({ example: 'https://example.com/webhooks/herald' })
  url!: string;

  @ApiProperty({ type: [String], example: ['order.*'] })
  topics!: string[];

  @ApiProperty({ type: String, nullable: true })
  description!: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { 'x-api-key': 'k_live_123' },
    description: 'Sent on every request to this URL; `{}` when none',
  })
  headers!: Record<string, string>;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 50,
    description: 'Deliveries a second across all workers; null for no limit',
  })
  rateLimit!: number | null;

  @ApiProperty()
  enabled!: boolean;

  @ApiProperty({ type: String, nullable: true, example: 'endpoint answered 410 Gone' })
  disabledReason!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;
}

/** A subscription with its signing secret: answers of create only. */
export class SubscriptionWithSecretDto extends SubscriptionDto {
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })
  secret!: string;
}

/** Maps a subscription row to its API form. */
export function toSubscriptionDto(subscription: SubscriptionEntity): SubscriptionDto {
  return {
    id: subscription.id,
    uid: subscription.uid,
    url: subscription.url,
    topics: subscription.topics,
    description: subscription.description,
    headers: subscription.headers,
    rateLimit: subscription.rateLimit,
    enabled: subscription.enabled,
    disabledReason: subscription.disabledReason,
    createdAt: subscription.createdAt.toISOString(),
    updatedAt: subscription.updatedAt.toISOString(),
  };
}
