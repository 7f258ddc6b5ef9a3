import { ApiProperty } from '@nestjs/swagger';

/** The secrets that sign a subscription's webhooks right now. */
export class SubscriptionSecretDto {
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })
  secret!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The secret before the last rotation, still signing beside it',
  })
  previousSecret!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  previousSecretExpiresAt!: string | null;
}
