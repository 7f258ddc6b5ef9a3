import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A delivery row is updated at every claim (attempts, lease) without touching an indexed column.
 * Room left on each page lets Postgres write those versions as heap-only tuples, with no new entry
 * in any of the table's four indexes. Pages written before this keep their old fill.
 */
export class DeliveriesFillfactor1763840000000 implements MigrationInterface {
  name = 'DeliveriesFillfactor1763840000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE herald.deliveries SET (fillfactor = 70)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE herald.deliveries RESET (fillfactor)`);
  }
}
