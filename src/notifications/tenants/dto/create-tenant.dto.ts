import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';
import { NO_NUL, NO_NUL_MESSAGE } from '../../common/no-nul';

/** Body of `POST /v1/tenants`. */
export class CreateTenantDto {
  @ApiProperty({ example: 'Acme Corp', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @Matches(NO_NUL, { message: NO_NUL_MESSAGE })
  name!: string;
}
