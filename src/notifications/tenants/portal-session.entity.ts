import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { HERALD_SCHEMA } from '../notifications.constants';

/** A portal session: a bearer token for one tenant until it expires; only its SHA-256 is stored. */
@Entity({ schema: HERALD_SCHEMA, name: 'portal_sessions' })
export class PortalSessionEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId!: string;

  @Column('text', { name: 'token_hash' })
  tokenHash!: string;

  /** Whether the session may only read: every change is refused. */
  @Column('boolean', { name: 'read_only' })
  readOnly!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'expires_at' })
  expiresAt!: Date;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt!: Date | null;
}
