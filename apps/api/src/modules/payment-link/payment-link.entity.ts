import { randomUUID } from 'node:crypto';
import { OptionalProps } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { PaymentLinkStatus } from '../../domain/statuses.js';
import { Invoice } from '../invoice/index.js';
import { Merchant } from '../merchant/index.js';

/**
 * A payment link of an invoice. It never stores an amount: its page always shows the invoice's
 * current amount due. Only the SHA-256 of its token is stored.
 */
@Entity({ tableName: 'payment_link' })
@Index({ properties: ['invoice', 'createdAt'] })
@Index({ properties: ['status', 'expiresAt'] })
// At most one live link per invoice, whatever the races.
@Index({
  name: 'payment_link_one_active_per_invoice',
  expression: `create unique index "payment_link_one_active_per_invoice" on "payment_link" ("invoice_id") where "status" = 'ACTIVE'`,
})
export class PaymentLink {
  [OptionalProps]?: 'createdAt' | 'status' | 'closedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Merchant, { deleteRule: 'cascade' })
  merchant!: Merchant;

  @ManyToOne(() => Invoice, { deleteRule: 'cascade' })
  invoice!: Invoice;

  @Property({ type: 'text', unique: true, hidden: true })
  tokenHash!: string;

  @Enum({ items: () => PaymentLinkStatus })
  status: PaymentLinkStatus = PaymentLinkStatus.ACTIVE;

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  /** When it left ACTIVE (superseded, expired). */
  @Property({ type: 'datetime', nullable: true })
  closedAt?: Date | null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
