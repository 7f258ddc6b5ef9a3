import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { AsSent } from '../../http/as-sent.decorator';
import { TOPIC_MAX_LENGTH, TOPIC_REGEX } from '../../common/topics/topic';
import { PAYLOAD_NOT_OBJECT } from '../../publisher/publish.types';

/** Body of `POST /v1/events`. */
export class PublishEventDto {
  @ApiProperty({
    example: 'order.shipped',
    maxLength: TOPIC_MAX_LENGTH,
    pattern: TOPIC_REGEX.source,
  })
  @IsString()
  @MaxLength(TOPIC_MAX_LENGTH)
  @Matches(TOPIC_REGEX, {
    message: 'topic must be dot-separated words of lowercase letters, digits, _ and -',
  })
  topic!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { orderId: 'o_123', carrier: 'DHL' },
    description:
      'Any JSON object, at most 256 KiB serialized and 64 levels deep; no U+0000 or lone ' +
      'surrogates in its text, no numbers too large for a double, no `__proto__` keys',
  })
  @IsObject({ message: PAYLOAD_NOT_OBJECT })
  @AsSent()
  payload!: Record<string, unknown>;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'Required with the admin token; with a tenant key it may only name its own tenant',
  })
  @IsOptional()
  @IsUUID()
  tenantId?: string;
}
