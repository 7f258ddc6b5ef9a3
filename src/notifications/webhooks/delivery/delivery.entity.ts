import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { HERALD_SCHEMA } from '../../notifications.constants';

/** Where a delivery stands; see DESIGN's conventions. */
export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

/** One event to one subscription. The row is the truth; a Bull job is only a hint to work on it. */
@Entity({ schema: HERALD_SCHEMA, name: 'deliveries' })
export class DeliveryEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'event_id' })
  eventId!: string;

  @Column('uuid', { name: 'subscription_id' })
  subscriptionId!: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId!: string;

  @Column('text')
  status!: DeliveryStatus;

  /** Attempts made so far (numbers the attempt rows). */
  @Column('integer')
  attempts!: number;

  /** Failed attempts since the delivery was last (re)started: the index into the retry schedule. */
  @Column('integer')
  retries!: number;

  @Column('timestamptz', { name: 'next_attempt_at' })
  nextAttemptAt!: Date;

  /** Set while an attempt runs; past it, the attempt is presumed dead and the sweeper retries. */
  @Column('timestamptz', { name: 'lease_until', nullable: true })
  leaseUntil!: Date | null;

  @Column('text', { name: 'last_error', nullable: true })
  lastError!: string | null;

  /** Milliseconds only, so a page cursor made from it is exact. */
  @Column({ type: 'timestamptz', name: 'created_at', precision: 3 })
  createdAt!: Date;

  @Column({ type: 'timestamptz', name: 'updated_at', precision: 3 })
  updatedAt!: Date;
}
