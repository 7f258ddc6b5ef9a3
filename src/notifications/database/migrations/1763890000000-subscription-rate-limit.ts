import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A subscription may cap its deliveries a second (`rate_limit`, null for no cap). The cap itself
 * is kept in Redis while deliveries go out; the row only says what it is.
 */
export class SubscriptionRateLimit1763890000000 implements MigrationInterface {
  name = 'SubscriptionRateLimit1763890000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE herald.subscriptions
        ADD COLUMN rate_limit integer CONSTRAINT subscriptions_rate_limit_check CHECK (rate_limit >= 1)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE herald.subscriptions DROP COLUMN rate_limit`);
  }
}
