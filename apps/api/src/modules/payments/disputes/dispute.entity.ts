import { randomUUID } from 'node:crypto';
import { BigIntType, OptionalProps } from '@mikro-orm/core';
import { Check, Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { DisputeStatus } from '../../../domain/statuses.js';
import { Merchant } from '../../merchant/index.js';
import { Transaction } from '../ledger/transaction.entity.js';

/**
 * A cardholder's dispute (chargeback) of a charge, as the processor last reported it. Its money is
 * the DISPUTE transaction (`transaction`): PENDING while open, SUCCEEDED when lost, CANCELED when won.
 * Written only by the disputes' sync, in the same database transaction as that transaction's change.
 */
@Entity({ tableName: 'dispute' })
@Index({ properties: ['merchant', 'createdAt', 'id'] })
@Check({ name: 'dispute_amount_positive', expression: 'amount > 0' })
export class Dispute {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'evidenceDueBy' | 'closedAt' | 'evidenceSubmittedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Merchant, { deleteRule: 'cascade' })
  merchant!: Merchant;

  /** The disputed charge. */
  @ManyToOne(() => Transaction)
  @Index()
  charge!: Transaction;

  /** The dispute's own money movement (kind DISPUTE). */
  @ManyToOne(() => Transaction)
  transaction!: Transaction;

  /** du_... at Stripe and in the sandbox. */
  @Property({ type: 'text', unique: true })
  processorReference!: string;

  @Enum({ items: () => DisputeStatus })
  status!: DisputeStatus;

  @Property({ type: new BigIntType('bigint') })
  amount!: bigint;

  /** What the processor charged for the dispute. */
  @Property({ type: new BigIntType('bigint') })
  fee!: bigint;

  @Property({ type: 'character', length: 3 })
  currency!: string;

  @Property({ type: 'text' })
  reason!: string;

  @Property({ type: 'datetime', nullable: true })
  evidenceDueBy?: Date | null;

  @Property({ type: 'datetime' })
  openedAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  closedAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  evidenceSubmittedAt?: Date | null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime' })
  updatedAt: Date = new Date();
}
