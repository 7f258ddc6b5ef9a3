import { ApiProperty } from '@nestjs/swagger';
import type { TenantEntity } from '../tenant.entity';

/** A tenant as the API shows it. */
export class TenantDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'Acme Corp' })
  name!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

/** Maps a tenant row to its API form. */
export function toTenantDto(tenant: TenantEntity): TenantDto {
  return { id: tenant.id, name: tenant.name, createdAt: tenant.createdAt.toISOString() };
}
