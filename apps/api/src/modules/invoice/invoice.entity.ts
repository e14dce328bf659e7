import { randomUUID } from 'node:crypto';
import { BigIntType, Collection, OptionalProps } from '@mikro-orm/core';
import { Check, Entity, Enum, Index, ManyToOne, OneToMany, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { InvoiceStatus } from '../../domain/statuses.js';
import { Customer } from '../customer/index.js';
import { Merchant } from '../merchant/index.js';

/**
 * An invoice. Its amounts (total, paid, credited, due) are never stored: they are derived from its
 * lines, allocations and credit memos in one place, so no two copies can disagree.
 */
@Entity({ tableName: 'invoice' })
@Unique({ properties: ['merchant', 'number'] })
@Index({ properties: ['merchant', 'status', 'createdAt'] })
@Index({ properties: ['customer', 'createdAt'] })
export class Invoice {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'status' | 'version' | 'dueDate' | 'sentAt' | 'voidedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Merchant, { deleteRule: 'cascade' })
  merchant!: Merchant;

  @ManyToOne(() => Customer)
  customer!: Customer;

  @Property({ type: 'text' })
  number!: string;

  @Enum({ items: () => InvoiceStatus })
  status: InvoiceStatus = InvoiceStatus.DRAFT;

  @Property({ type: 'character', length: 3 })
  currency!: string;

  @Property({ type: 'date', nullable: true })
  dueDate?: string | null;

  @Property({ type: 'datetime', nullable: true })
  sentAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  voidedAt?: Date | null;

  @OneToMany(
    () => InvoiceLine,
    (line) => line.invoice,
    { orderBy: { position: 'asc' } },
  )
  lines = new Collection<InvoiceLine>(this);

  @Property({ version: true, type: 'integer' })
  version: number = 1;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

@Entity({ tableName: 'invoice_line' })
@Unique({ properties: ['invoice', 'position'] })
@Check({ name: 'invoice_line_quantity_positive', expression: 'quantity > 0' })
@Check({ name: 'invoice_line_unit_amount_non_negative', expression: 'unit_amount >= 0' })
export class InvoiceLine {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Invoice, { deleteRule: 'cascade' })
  invoice!: Invoice;

  @Property({ type: 'integer' })
  position!: number;

  @Property({ type: 'text' })
  description!: string;

  @Property({ type: 'integer' })
  quantity!: number;

  @Property({ type: new BigIntType('bigint') })
  unitAmount!: bigint;
}
