import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { HERALD_SCHEMA } from '../notifications.constants';

/** A customer of the service: owns events, subscriptions and API keys. */
@Entity({ schema: HERALD_SCHEMA, name: 'tenants' })
export class TenantEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('text')
  name!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
