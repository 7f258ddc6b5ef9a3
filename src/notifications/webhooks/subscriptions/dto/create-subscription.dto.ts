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
import { MAX_TOPICS, TOPIC_MAX_LENGTH, TOPIC_PATTERN_REGEX } from '../../../common/topics/topic';

/** Standard Webhooks secrets: `whsec_` and 24 to 64 bytes in base64. */
export const WEBHOOK_SECRET_REGEX = /^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/;

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
