import { randomUUID } from 'node:crypto';
import { BigIntType, OptionalProps } from '@mikro-orm/core';
import { Check, Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Invoice } from '../invoice/index.js';
import { Merchant } from '../merchant/index.js';

/**
 * A credit memo lowers an invoice's amount due by its amount. Issuing its refund returns that money
 * against the invoice's payments (a partial refund); on an unpaid invoice it is a plain credit.
 */
@Entity({ tableName: 'credit_memo' })
@Index({ properties: ['invoice', 'createdAt'] })
@Check({ name: 'credit_memo_amount_positive', expression: 'amount > 0' })
export class CreditMemo {
  [OptionalProps]?: 'createdAt' | 'refundIssuedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Merchant, { deleteRule: 'cascade' })
  merchant!: Merchant;

  @ManyToOne(() => Invoice, { deleteRule: 'cascade' })
  invoice!: Invoice;

  @Property({ type: new BigIntType('bigint') })
  amount!: bigint;

  @Property({ type: 'text' })
  reason!: string;

  /** Set once its refund was issued: a memo is refunded at most once. */
  @Property({ type: 'datetime', nullable: true })
  refundIssuedAt?: Date | null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
