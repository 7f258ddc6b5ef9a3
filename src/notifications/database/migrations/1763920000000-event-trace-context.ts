import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The W3C trace context an event was published in (`traceparent`, `tracestate`), sent with each
 * of its webhooks and returned by the long poll and the stream; null when there was none.
 * Nullable columns without a default rewrite no row.
 */
export class EventTraceContext1763920000000 implements MigrationInterface {
  name = 'EventTraceContext1763920000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE herald.events
        ADD COLUMN traceparent text,
        ADD COLUMN tracestate text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE herald.events DROP COLUMN traceparent, DROP COLUMN tracestate`);
  }
}
