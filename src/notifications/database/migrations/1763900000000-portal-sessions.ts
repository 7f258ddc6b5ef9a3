import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Portal sessions: short-lived bearer tokens for one tenant, stored as their SHA-256 like API
 * keys, so the portal can be handed to a tenant's customer without handing over an API key.
 */
export class PortalSessions1763900000000 implements MigrationInterface {
  name = 'PortalSessions1763900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE herald.portal_sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES herald.tenants (id) ON DELETE CASCADE,
        token_hash text NOT NULL UNIQUE,
        read_only boolean NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz
      )`);
    await queryRunner.query(
      `CREATE INDEX portal_sessions_tenant_idx ON herald.portal_sessions (tenant_id)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE herald.portal_sessions`);
  }
}
