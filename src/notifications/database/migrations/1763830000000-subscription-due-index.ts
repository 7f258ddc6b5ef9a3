import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Workers claim due deliveries one subscription at a time, and the sweeper looks for the first due
 * delivery of each subscription: both want pending deliveries by (subscription, due time). The
 * index by due time alone served only the old sweeper, and every delivery write paid for it.
 */
export class SubscriptionDueIndex1763830000000 implements MigrationInterface {
  name = 'SubscriptionDueIndex1763830000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX herald.deliveries_due_idx`);
    await queryRunner.query(
      `CREATE INDEX deliveries_subscription_due_idx ON herald.deliveries (subscription_id, next_attempt_at)
       WHERE status = 'pending'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX herald.deliveries_subscription_due_idx`);
    await queryRunner.query(
      `CREATE INDEX deliveries_due_idx ON herald.deliveries (next_attempt_at) WHERE status = 'pending'`,
    );
  }
}
