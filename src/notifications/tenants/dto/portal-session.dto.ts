import { ApiProperty } from '@nestjs/swagger';
import type { PortalLink } from '../portal-sessions.service';

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
