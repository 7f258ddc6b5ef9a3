import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A registration's own id, chosen by the client: registering again with it (after a timeout, or
 * a restart) finds the subscription already made instead of making a second one. The unique index
 * is what decides between concurrent registrations; the column is checked here as the API checks
 * it, so no other writer can store a uid the lookup by path could not reach.
 */
export class SubscriptionUid1763880000000 implements MigrationInterface {
  name = 'SubscriptionUid1763880000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE herald.subscriptions
        ADD COLUMN uid text
          CONSTRAINT subscriptions_uid_format CHECK (uid ~ '^[A-Za-z0-9._-]+$' AND length(uid) <= 256)`);
    await queryRunner.query(`
      CREATE UNIQUE INDEX subscriptions_tenant_uid_idx ON herald.subscriptions (tenant_id, uid)
        WHERE uid IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX herald.subscriptions_tenant_uid_idx`);
    await queryRunner.query(`ALTER TABLE herald.subscriptions DROP COLUMN uid`);
  }
}
