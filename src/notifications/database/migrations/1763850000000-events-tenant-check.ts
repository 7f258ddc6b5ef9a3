import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The foreign key from events to tenants took a FOR KEY SHARE lock on the tenant's row at every
 * publish. Concurrent publishers of one tenant then share that lock through a new MultiXact per
 * insert (measured: one per event), each written to the WAL and the MultiXact files: with 8
 * publishers the inserting backends spent about 30 % more CPU per event than without the key. Tenants are never deleted through the API, so the publisher
 * checks the tenant in its insert statement instead (`tenant_not_found`, nothing written), and a
 * trigger keeps the cascade for a tenant an operator deletes by hand.
 */
export class EventsTenantCheck1763850000000 implements MigrationInterface {
  name = 'EventsTenantCheck1763850000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE herald.events DROP CONSTRAINT events_tenant_id_fkey`);
    await queryRunner.query(`
      CREATE FUNCTION herald.delete_tenant_events() RETURNS trigger
      LANGUAGE plpgsql AS $$
        BEGIN
          DELETE FROM herald.events WHERE tenant_id = OLD.id;
          RETURN OLD;
        END
      $$`);
    await queryRunner.query(`
      CREATE TRIGGER tenants_delete_events AFTER DELETE ON herald.tenants
      FOR EACH ROW EXECUTE FUNCTION herald.delete_tenant_events()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER tenants_delete_events ON herald.tenants`);
    await queryRunner.query(`DROP FUNCTION herald.delete_tenant_events()`);
    await queryRunner.query(`
      ALTER TABLE herald.events ADD CONSTRAINT events_tenant_id_fkey
        FOREIGN KEY (tenant_id) REFERENCES herald.tenants (id) ON DELETE CASCADE`);
  }
}
