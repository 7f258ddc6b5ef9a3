import { Column, Entity, PrimaryColumn } from 'typeorm';
import { HERALD_SCHEMA } from '../notifications.constants';

/** A published fact: one row of the outbox. */
@Entity({ schema: HERALD_SCHEMA, name: 'events' })
export class EventEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId!: string;

  @Column('text')
  topic!: string;

  @Column('jsonb')
  payload!: Record<string, unknown>;

  @Column('text', { name: 'idempotency_key', nullable: true })
  idempotencyKey!: string | null;

  /** Log position as a decimal string (bigint); null until the sequencer stamps it. */
  @Column('bigint', { nullable: true })
  position!: string | null;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'sequenced_at', nullable: true })
  sequencedAt!: Date | null;

  /** The W3C `traceparent` of the publish, when it was traced. */
  @Column('text', { nullable: true })
  traceparent!: string | null;

  /** The W3C `tracestate` that came with it, when it had entries. */
  @Column('text', { nullable: true })
  tracestate!: string | null;
}
