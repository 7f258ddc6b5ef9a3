import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { HERALD_SCHEMA } from '../../notifications.constants';

/** A registered URL that receives a tenant's events on some topics. */
@Entity({ schema: HERALD_SCHEMA, name: 'subscriptions' })
export class SubscriptionEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId!: string;

  /** The client's own id for this registration, unique in the tenant (a partial unique index). */
  @Column('text', { nullable: true })
  uid!: string | null;

  @Column('text')
  url!: string;

  @Column('text', { array: true })
  topics!: string[];

  @Column('text', { nullable: true })
  description!: string | null;

  /** Sent on every request to `url`; checked by the API (no name Herald sets). */
  @Column('jsonb', { default: () => "'{}'" })
  headers!: Record<string, string>;

  @Column('boolean')
  enabled!: boolean;

  @Column('text', { name: 'disabled_reason', nullable: true })
  disabledReason!: string | null;

  /** The signing secret, sealed with the configured encryption key. */
  @Column('bytea')
  secret!: Buffer;

  /** The secret before the last rotation, still signing until `previousSecretExpiresAt`. */
  @Column('bytea', { name: 'previous_secret', nullable: true })
  previousSecret!: Buffer | null;

  @Column('timestamptz', { name: 'previous_secret_expires_at', nullable: true })
  previousSecretExpiresAt!: Date | null;

  /** Deliveries a second across all workers; null for no limit. */
  @Column('integer', { name: 'rate_limit', nullable: true })
  rateLimit!: number | null;

  /** First failed attempt since the last success; drives `HERALD_DISABLE_AFTER`. */
  @Column('timestamptz', { name: 'failing_since', nullable: true })
  failingSince!: Date | null;

  /** Milliseconds only, so a page cursor made from it is exact. */
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
