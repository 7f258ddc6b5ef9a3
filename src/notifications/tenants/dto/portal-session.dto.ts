import { ApiProperty } from '@nestjs/swagger';
import { NotificationsError, NotificationsErrorCode } from '../../notifications.errors';
import type { PortalLink } from '../portal-sessions.service';
import type { Principal } from '../principal';

/** A new portal session; `token` is the secret and is shown only in this answer. */
export class PortalSessionDto {
  @ApiProperty({ format: 'uuid', description: 'To revoke the session' })
  id!: string;

  @ApiProperty({
    example:
      'https://herald.example.com/portal#token=hp_Zk3q2-7wVZ0m1lY0Jc8xk5cT4QhJX1uRz7a9bYdE2fG',
    description:
      'The portal, signed in with this session: hand it to the customer. The token is in the ' +
      'fragment, which browsers never send to a server',
  })
  url!: string;

  @ApiProperty({
    example: 'hp_Zk3q2-7wVZ0m1lY0Jc8xk5cT4QhJX1uRz7a9bYdE2fG',
    description:
      "A bearer token for the tenant's subscription, delivery and event-reading routes until " +
      'expiresAt. Shown once: only its hash is stored.',
  })
  token!: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt!: string;

  @ApiProperty({ description: 'Whether every change is refused (403)' })
  readOnly!: boolean;
}

/** Maps a new portal link to its API form. */
export function toPortalSessionDto(link: PortalLink): PortalSessionDto {
  return {
    id: link.id,
    url: link.url,
    token: link.token,
    expiresAt: link.expiresAt.toISOString(),
    readOnly: link.readOnly,
  };
}

/** Answer of `GET /v1/portal-sessions/current`: the caller's own session. */
export class CurrentPortalSessionDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  tenantId!: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt!: string;

  @ApiProperty({ description: 'Whether every change is refused (403)' })
  readOnly!: boolean;
}

/**
 * Maps the caller's portal session to its API form.
 *
 * @throws NotificationsError `forbidden` when the caller is not a portal session
 */
export function toCurrentPortalSessionDto(principal: Principal): CurrentPortalSessionDto {
  if (principal.kind !== 'tenant' || !principal.portal) {
    throw new NotificationsError(
      NotificationsErrorCode.Forbidden,
      'This route needs a portal session token',
    );
  }
  return {
    id: principal.credentialId,
    tenantId: principal.tenantId,
    expiresAt: new Date(principal.portal.expiresAt).toISOString(),
    readOnly: principal.portal.readOnly,
  };
}
