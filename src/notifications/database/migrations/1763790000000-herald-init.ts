import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Tenants, API keys, the event outbox and the sequencer's single state row. */
export class HeraldInit1763790000000 implements MigrationInterface {
  name = 'HeraldInit1763790000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS herald`);
    await queryRunner.query(`
      CREATE TABLE herald.tenants (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE herald.api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES herald.tenants (id) ON DELETE CASCADE,
        prefix text NOT NULL,
        key_hash text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX api_keys_tenant_idx ON herald.api_keys (tenant_id)`);
    // position stays NULL until the sequencer stamps the committed row (see DESIGN, "Why a sequencer").
    await queryRunner.query(`
      CREATE TABLE herald.events (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES herald.tenants (id) ON DELETE CASCADE,
        topic text NOT NULL,
        payload jsonb NOT NULL,
        idempotency_key text,
        position bigint UNIQUE,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        sequenced_at timestamptz
      )`);
    await queryRunner.query(`
      CREATE UNIQUE INDEX events_idempotency_key_idx ON herald.events (tenant_id, idempotency_key)
      WHERE idempotency_key IS NOT NULL`);
    await queryRunner.query(`
      CREATE INDEX events_unsequenced_idx ON herald.events (created_at, id) WHERE position IS NULL`);
    await queryRunner.query(`
      CREATE INDEX events_tenant_position_idx ON herald.events (tenant_id, position)
      WHERE position IS NOT NULL`);
    await queryRunner.query(`
      CREATE TABLE herald.sequencer_state (
        id smallint PRIMARY KEY CHECK (id = 1),
        last_position bigint NOT NULL,
        pruned_through bigint NOT NULL
      )`);
    await queryRunner.query(
      `INSERT INTO herald.sequencer_state (id, last_position, pruned_through) VALUES (1, 0, 0)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP SCHEMA herald CASCADE`);
  }
}
