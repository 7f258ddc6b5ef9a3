import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { HERALD_SCHEMA } from '../../notifications.constants';

/** One HTTP call of a delivery. */
@Entity({ schema: HERALD_SCHEMA, name: 'delivery_attempts' })
export class DeliveryAttemptEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'delivery_id' })
  deliveryId!: string;

  @Column('integer')
  attempt!: number;

  @Column('timestamptz', { name: 'started_at' })
  startedAt!: Date;

  @Column('integer', { name: 'duration_ms', nullable: true })
  durationMs!: number | null;

  @Column('integer', { name: 'status_code', nullable: true })
  statusCode!: number | null;

  /** The start of the receiver's answer, at most 4 KiB. */
  @Column('text', { name: 'response_snippet', nullable: true })
  responseSnippet!: string | null;

  @Column('text', { nullable: true })
  error!: string | null;
}
