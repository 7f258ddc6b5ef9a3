import type { MigrationInterface, QueryRunner } from 'typeorm';
import { HERALD } from '../herald-names';

/**
 * Event types declared at run time by an admin (`PUT /v1/event-types/:name`); those declared in
 * code live in the module's options only. The name is checked here as the API checks it: a topic,
 * without wildcards.
 */
export class EventTypes1763910000000 implements MigrationInterface {
  name = 'EventTypes1763910000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE ${HERALD.event_types} (
        name text PRIMARY KEY
          CONSTRAINT event_types_name_format
            CHECK (name ~ '^[a-z0-9_-]+(\\.[a-z0-9_-]+)*$' AND length(name) <= 200),
        description text,
        schema jsonb,
        deprecated boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ${HERALD.event_types}`);
  }
}
