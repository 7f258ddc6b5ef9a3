import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** The host's own business row. */
@Entity({ name: 'orders' })
export class Order {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid')
  tenantId!: string;

  @Column('integer')
  totalCents!: number;
}
