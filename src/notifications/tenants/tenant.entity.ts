import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { HERALD_SCHEMA } from '../notifications.constants';

/** A customer of the service: owns events, subscriptions and API keys. */
@Entity({ schema: HERALD_SCHEMA, name: 'tenants' })
export class TenantEntity {
  /** The tenant's id: the `tenantId` of `publish()` and of the admin API. */
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** A name for people; not unique. */
  @Column('text')
  name!: string;

  /** When it was created. */
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
