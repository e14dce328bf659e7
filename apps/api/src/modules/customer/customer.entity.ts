import { randomUUID } from 'node:crypto';
import { OptionalProps } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Merchant } from '../merchant/merchant.entity.js';

@Entity({ tableName: 'customer' })
@Index({ properties: ['merchant', 'createdAt'] })
@Unique({ properties: ['merchant', 'externalRef'] })
export class Customer {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'externalRef' | 'processorCustomerId';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Merchant, { deleteRule: 'cascade' })
  merchant!: Merchant;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'text' })
  email!: string;

  /** The merchant's own id for this customer (its ERP account number). */
  @Property({ type: 'text', nullable: true })
  externalRef?: string | null;

  /** The customer's record at the processor (Stripe: cus_...), made when a first card is saved. */
  @Property({ type: 'text', nullable: true })
  processorCustomerId?: string | null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
