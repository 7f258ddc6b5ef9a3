import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Subscriptions, deliveries (one per event × subscription) and their attempts. */
export class Webhooks1763820000000 implements MigrationInterface {
  name = 'Webhooks1763820000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // created_at is kept to the millisecond (timestamptz(3)) because lists page by
    // (created_at, id) with cursors made from a JS Date: at Postgres's microseconds a cursor would
    // fall between rows, repeating or skipping those created in the same millisecond. updated_at
    // is rounded alike so it never reads as earlier than created_at.
    await queryRunner.query(`
      CREATE TABLE herald.subscriptions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES herald.tenants (id) ON DELETE CASCADE,
        url text NOT NULL,
        topics text[] NOT NULL,
        description text,
        enabled boolean NOT NULL DEFAULT true,
        disabled_reason text,
        secret bytea NOT NULL,
        previous_secret bytea,
        previous_secret_expires_at timestamptz,
        failing_since timestamptz,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX subscriptions_tenant_idx ON herald.subscriptions (tenant_id, created_at, id)`,
    );
    // A webhook.test event goes to one subscription only; everything else fans out by topic.
    await queryRunner.query(
      `ALTER TABLE herald.events ADD COLUMN target_subscription_id uuid
         REFERENCES herald.subscriptions (id) ON DELETE CASCADE`,
    );
    // The same rules as TopicFilter: `*`, a topic itself, or `prefix.*` for any topic under it.
    await queryRunner.query(`
      CREATE FUNCTION herald.topic_matches(patterns text[], topic text) RETURNS boolean
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT EXISTS (
          SELECT 1 FROM unnest(patterns) p
          WHERE p = '*' OR p = topic OR (right(p, 2) = '.*' AND starts_with(topic, left(p, -1)))
        )
      $$`);
    await queryRunner.query(`
      CREATE TABLE herald.deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        event_id uuid NOT NULL REFERENCES herald.events (id) ON DELETE CASCADE,
        subscription_id uuid NOT NULL REFERENCES herald.subscriptions (id) ON DELETE CASCADE,
        tenant_id uuid NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        retries integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        lease_until timestamptz,
        last_error text,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        UNIQUE (event_id, subscription_id)
      )`);
    await queryRunner.query(
      `CREATE INDEX deliveries_due_idx ON herald.deliveries (next_attempt_at) WHERE status = 'pending'`,
    );
    await queryRunner.query(
      `CREATE INDEX deliveries_subscription_idx ON herald.deliveries (subscription_id, created_at, id)`,
    );
    await queryRunner.query(`
      CREATE TABLE herald.delivery_attempts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        delivery_id uuid NOT NULL REFERENCES herald.deliveries (id) ON DELETE CASCADE,
        attempt integer NOT NULL,
        started_at timestamptz NOT NULL,
        duration_ms integer,
        status_code integer,
        response_snippet text,
        error text,
        UNIQUE (delivery_id, attempt)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE herald.delivery_attempts`);
    await queryRunner.query(`DROP TABLE herald.deliveries`);
    await queryRunner.query(`ALTER TABLE herald.events DROP COLUMN target_subscription_id`);
    await queryRunner.query(`DROP FUNCTION herald.topic_matches(text[], text)`);
    await queryRunner.query(`DROP TABLE herald.subscriptions`);
  }
}
