import { randomUUID } from 'node:crypto';
import { OptionalProps } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Merchant } from '../merchant/index.js';

@Entity({ tableName: 'customer' })
@Index({ properties: ['merchant', 'createdAt'] })
@Unique({ properties: ['merchant', 'externalRef'] })
// Written by hand in migration ...-people (the trigram one only where pg_trgm exists); declared here so
// that generated migrations keep them.
@Index({
  name: 'customer_merchant_id_lower_name_id_index',
  expression: 'create index "customer_merchant_id_lower_name_id_index" on "customer" ("merchant_id", lower("name"), "id")',
})
@Index({
  name: 'customer_search_trgm_index',
  expression: `create index "customer_search_trgm_index" on "customer" using gin (lower("name" || ' ' || "email" || ' ' || coalesce("external_ref", '')) gin_trgm_ops)`,
})
export class Customer {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'externalRef' | 'processorCustomerId' | 'archivedAt';

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

  /** Archived: no new invoices; its history stays. */
  @Property({ type: 'datetime', nullable: true })
  archivedAt?: Date | null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
