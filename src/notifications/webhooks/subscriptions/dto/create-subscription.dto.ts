import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { AsSent } from '../../../http/as-sent.decorator';
import { MAX_TOPICS, TOPIC_MAX_LENGTH, TOPIC_PATTERN_REGEX } from '../../../common/topics/topic';
import {
  IsWebhookHeaders,
  MAX_WEBHOOK_HEADERS,
  MAX_WEBHOOK_HEADERS_BYTES,
} from './is-webhook-headers.decorator';

/** Standard Webhooks secrets: `whsec_` and 24 to 64 bytes in base64. */
export const WEBHOOK_SECRET_REGEX = /^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/;

/** A subscription's `uid`: 1 to 256 characters of `A-Z a-z 0-9 - _ .`. */
export const SUBSCRIPTION_UID_REGEX = /^[A-Za-z0-9._-]{1,256}$/;
/** The highest `rateLimit` a subscription may set, in deliveries a second. */
export const MAX_RATE_LIMIT = 10_000;

/** Body of `POST /v1/subscriptions`. */
export class CreateSubscriptionDto {
  @ApiProperty({ example: 'https://example.com/webhooks/herald', maxLength: 2048 })
  @IsString()
  @MaxLength(2048)
  url!: string;

  @ApiProperty({
    type: [String],
    example: ['order.*', 'invoice.paid'],
    description: `Topics; \`order.*\` and \`*\` match many. At most ${MAX_TOPICS}, each at most ${TOPIC_MAX_LENGTH} characters`,
    maxItems: MAX_TOPICS,
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_TOPICS, { message: `topics may hold at most ${MAX_TOPICS} topics` })
  @MaxLength(TOPIC_MAX_LENGTH, {
    each: true,
    message: `each of topics must be at most ${TOPIC_MAX_LENGTH} characters long`,
  })
  @Matches(TOPIC_PATTERN_REGEX, {
    each: true,
    message: 'each of topics must be a topic, a prefix ending in .* or *',
  })
  topics!: string[];

  @ApiPropertyOptional({ example: 'Order sync', maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;

  @ApiPropertyOptional({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    description: 'Your own signing secret; one is generated otherwise',
  })
  @IsOptional()
  @Matches(WEBHOOK_SECRET_REGEX, {
    message: 'secret must be whsec_ followed by 24 to 64 bytes in base64',
  })
  secret?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    maxProperties: MAX_WEBHOOK_HEADERS,
    example: { 'x-api-key': 'k_live_123' },
    description:
      'Headers sent on every request to this URL, outside the signature. Names are HTTP tokens; ' +
      'values hold no CR, LF or other control characters; at most ' +
      `${MAX_WEBHOOK_HEADERS} headers and ${MAX_WEBHOOK_HEADERS_BYTES} bytes in all. Names Herald ` +
      'sets may not be given: content-type, content-length, host, user-agent, the connection ' +
      'headers, webhook-* and herald-*',
  })
  @IsOptional()
  @AsSent()
  @IsWebhookHeaders()
  headers?: Record<string, string>;

  @ApiPropertyOptional({
    example: 'order-sync.eu-1',
    pattern: SUBSCRIPTION_UID_REGEX.source,
    maxLength: 256,
    description:
      'Your own id for this registration, unique in the tenant: registering again with it and ' +
      'the same settings answers 200 with the subscription already made (and its secret), with ' +
      'other settings 409 `subscription_uid_conflict`. Sent back in the `herald-subscription-uid` ' +
      'header of every webhook, and accepted in place of the id in `/v1/subscriptions/:id`',
  })
  @IsOptional()
  @IsString()
  @Matches(SUBSCRIPTION_UID_REGEX, {
    message: 'uid must be 1 to 256 characters of A-Z a-z 0-9 - _ .',
  })
  uid?: string;

  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    minimum: 1,
    maximum: MAX_RATE_LIMIT,
    example: 50,
    description:
      'At most this many deliveries start in any second, across all workers; null (the default) ' +
      'for no limit. Deliveries over the limit wait: they are not failures and use no attempt',
  })
  @IsOptional()
  @IsInt({ message: 'rateLimit must be a whole number of deliveries a second, or null' })
  @Min(1, { message: 'rateLimit must be at least 1, or null for no limit' })
  @Max(MAX_RATE_LIMIT, { message: `rateLimit must be at most ${MAX_RATE_LIMIT}` })
  rateLimit?: number | null;
}
