import { ApiProperty } from '@nestjs/swagger';
import type { CreatedApiKey } from '../api-keys.service';

/** A new API key; `key` is the secret and is shown only in this answer. */
export class CreatedApiKeyDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  tenantId!: string;

  @ApiProperty({
    example: 'hk_3q2-7wVZ0m1lY0Jc8xk5cT4QhJX1uRz7a9bYdE2fG3s',
    description: 'The secret. Shown once: only its hash is stored.',
  })
  key!: string;

  @ApiProperty({ example: 'hk_3q2-7wVZ', description: 'The start of the key, to tell keys apart' })
  prefix!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

/** Maps a created key to its API form. */
export function toCreatedApiKeyDto({ entity, key }: CreatedApiKey): CreatedApiKeyDto {
  return {
    id: entity.id,
    tenantId: entity.tenantId,
    key,
    prefix: entity.prefix,
    createdAt: entity.createdAt.toISOString(),
  };
}
