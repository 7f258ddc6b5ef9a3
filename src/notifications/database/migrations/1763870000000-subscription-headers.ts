import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Headers of a subscription's own, sent on every request to it (an API gateway's `x-api-key`, a
 * routing header). The API checks names and values; the column holds a flat object of strings.
 * Adding a column with a constant default rewrites no row.
 */
export class SubscriptionHeaders1763870000000 implements MigrationInterface {
  name = 'SubscriptionHeaders1763870000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE herald.subscriptions
        ADD COLUMN headers jsonb NOT NULL DEFAULT '{}'
          CONSTRAINT subscriptions_headers_object CHECK (jsonb_typeof(headers) = 'object')`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE herald.subscriptions DROP COLUMN headers`);
  }
}
