import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';
import { PORTAL_SESSION_TTL } from '../portal-sessions.service';

/** Body of `POST /v1/tenants/:id/portal-sessions`; may be empty. */
export class CreatePortalSessionDto {
  @ApiPropertyOptional({
    minimum: PORTAL_SESSION_TTL.min,
    maximum: PORTAL_SESSION_TTL.max,
    default: PORTAL_SESSION_TTL.default,
    description: 'Seconds until the session ends',
  })
  @IsOptional()
  @IsInt({ message: 'ttl must be a whole number of seconds' })
  @Min(PORTAL_SESSION_TTL.min)
  @Max(PORTAL_SESSION_TTL.max)
  ttl?: number;

  @ApiPropertyOptional({
    default: false,
    description: 'Refuse every change with 403: the session can only look',
  })
  @IsOptional()
  @IsBoolean()
  readOnly?: boolean;
}
