import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  IsInt,
  IsOptional,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { QueryInteger } from '../../http/query-integer.decorator';
import { MAX_TOPICS, TOPIC_MAX_LENGTH, TOPIC_PATTERN_REGEX } from '../../common/topics/topic';

/** Query of `GET /v1/events`. */
export class ReadEventsQuery {
  @ApiPropertyOptional({
    type: String,
    example: 'order.*,invoice.paid',
    description:
      'Comma-separated topics; `order.*` matches every topic under `order.`; `*` or none: all',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? value.split(',').map((topic) => topic.trim()) : value,
  )
  @ArrayMaxSize(MAX_TOPICS, { message: `topics may name at most ${MAX_TOPICS} topics` })
  @MaxLength(TOPIC_MAX_LENGTH, {
    each: true,
    message: `each of topics must be at most ${TOPIC_MAX_LENGTH} characters long`,
  })
  @Matches(TOPIC_PATTERN_REGEX, {
    each: true,
    message: 'topics must be comma-separated topics, prefixes ending in .* or *',
  })
  topics?: string[];

  @ApiPropertyOptional({
    example: '1042',
    description: 'Cursor to read after; `0` = from the oldest retained event; omitted = from now',
  })
  @IsOptional()
  @Matches(/^\d{1,19}$/, { message: 'after must be a cursor returned by this API, or 0' })
  after?: string;

  @ApiPropertyOptional({
    minimum: 0,
    default: 30,
    description: 'Seconds to hold the request when nothing is there yet; capped by the server',
  })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(0)
  wait?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  @ApiPropertyOptional({ format: 'uuid', description: 'Which tenant to read; admin token only' })
  @IsOptional()
  @IsUUID()
  tenantId?: string;
}
