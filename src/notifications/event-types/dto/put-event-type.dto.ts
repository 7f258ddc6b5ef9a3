import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsObject, IsOptional, IsString, MaxLength } from 'class-validator';
import { AsSent } from '../../http/as-sent.decorator';

/** Body of `PUT /v1/event-types/:name`: the whole type; what is left out is cleared. */
export class PutEventTypeDto {
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 2000,
    example: 'An order was placed',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string | null;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description:
      'A JSON Schema (2020-12) every payload of this topic must match; formats of ajv-formats ' +
      '(`uuid`, `email`, `date-time`, …) are checked. Null or left out: any JSON object goes',
    example: {
      type: 'object',
      required: ['orderId', 'amount'],
      properties: { orderId: { type: 'string' }, amount: { type: 'number', minimum: 0 } },
    },
  })
  @IsOptional()
  @IsObject({ message: 'schema must be a JSON Schema object, or null' })
  @AsSent()
  schema?: Record<string, unknown> | null;

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  deprecated?: boolean;
}
