import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The body of every error answer. */
export class ErrorResponseDto {
  @ApiProperty({ example: 400 })
  statusCode!: number;

  @ApiProperty({ example: 'Bad Request' })
  error!: string;

  @ApiProperty({ example: 'topic must be dot-separated lowercase words' })
  message!: string;

  @ApiProperty({ example: 'validation_failed', description: 'Stable machine-readable code' })
  code!: string;

  @ApiPropertyOptional({
    example: '1042',
    description: 'With `cursor_expired`: the oldest cursor still served',
  })
  oldestCursor?: string;

  @ApiPropertyOptional({
    example: 1,
    description: 'With `rate_limited` and `too_many_polls`: seconds to wait, as in `Retry-After`',
  })
  retryAfter?: number;
}
