import { randomUUID } from 'node:crypto';
import { BigIntType, Collection, OptionalProps } from '@mikro-orm/core';
import { Check, Entity, Enum, Index, ManyToOne, OneToMany, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { PaymentChannel, PaymentMethodKind, SettlementState, TransactionKind, TransactionStatus } from '../../../domain/statuses.js';
import { Customer } from '../../customer/index.js';
import { Invoice } from '../../invoice/index.js';
import { Merchant } from '../../merchant/index.js';

/** A charge or a refund. Every money movement is one row; its status follows the transition table. */
@Entity({ tableName: 'transaction' })
@Index({ properties: ['merchant', 'createdAt', 'id'] })
@Index({ properties: ['status', 'createdAt'] })
@Unique({ properties: ['merchant', 'idempotencyKey'] })
@Check({ name: 'transaction_amount_positive', expression: 'amount > 0' })
@Check({ name: 'transaction_fee_non_negative', expression: 'fee is null or fee >= 0' })
export class Transaction {
  [OptionalProps]?:
    | 'createdAt'
    | 'updatedAt'
    | 'version'
    | 'status'
    | 'settlement'
    | 'requiresManualReconciliation'
    | 'customer'
    | 'fee'
    | 'authorizationCode'
    | 'processorReference'
    | 'failureCode'
    | 'failureMessage'
    | 'refundOf'
    | 'reconciledAt'
    | 'reconciledBy'
    | 'settledAt'
    | 'settlementReference'
    | 'description'
    | 'cardBrand'
    | 'cardLast4'
    | 'paymentMethodReference'
    | 'processorCustomerReference'
    | 'terminalReader'
    | 'achMandate'
    | 'nextAction'
    | 'creditMemo';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Merchant, { deleteRule: 'cascade' })
  merchant!: Merchant;

  @ManyToOne(() => Customer, { nullable: true })
  @Index()
  customer?: Customer | null;

  @Enum({ items: () => TransactionKind })
  kind!: TransactionKind;

  @Enum({ items: () => TransactionStatus })
  status: TransactionStatus = TransactionStatus.PENDING;

  @Enum({ items: () => PaymentChannel })
  channel!: PaymentChannel;

  @Enum({ items: () => PaymentMethodKind })
  method!: PaymentMethodKind;

  @Property({ type: new BigIntType('bigint') })
  amount!: bigint;

  @Property({ type: 'character', length: 3 })
  currency!: string;

  @Property({ type: new BigIntType('bigint'), nullable: true })
  fee?: bigint | null;

  @Property({ type: 'text', nullable: true })
  authorizationCode?: string | null;

  /** The processor's id for this payment or refund (e.g. a PaymentIntent id). */
  @Property({ type: 'text', nullable: true })
  @Index()
  processorReference?: string | null;

  /** The processor token charged (pm_...): what recovery re-sends with the same idempotency key. */
  @Property({ type: 'text', nullable: true })
  paymentMethodReference?: string | null;

  @Property({ type: 'text', nullable: true })
  processorCustomerReference?: string | null;

  /** ACH only: how the customer authorised the debit (kept as the mandate's record, and for recovery). */
  @Property({ type: 'json', nullable: true })
  achMandate?: { type: 'online'; ipAddress: string; userAgent: string } | { type: 'offline' } | null;

  /** While REQUIRES_ACTION: what the customer must do (3-D Secure, micro-deposits), as the processor said. */
  @Property({ type: 'json', nullable: true })
  nextAction?: {
    type: 'AUTHENTICATE' | 'VERIFY_MICRODEPOSITS';
    url: string | null;
    clientSecret: string | null;
    microdepositType?: 'AMOUNTS' | 'DESCRIPTOR_CODE' | null;
  } | null;

  /** Card-present payments: the processor's reader id. */
  @Property({ type: 'text', nullable: true })
  terminalReader?: string | null;

  @Property({ type: 'text', nullable: true })
  cardBrand?: string | null;

  @Property({ type: 'text', nullable: true })
  cardLast4?: string | null;

  @Property({ type: 'text', nullable: true })
  failureCode?: string | null;

  @Property({ type: 'text', nullable: true })
  failureMessage?: string | null;

  @Property({ type: 'text', nullable: true })
  description?: string | null;

  @ManyToOne(() => Transaction, { nullable: true })
  @Index()
  refundOf?: Transaction | null;

  /** A refund issued for a credit memo (a partial refund). */
  @Property({ type: 'uuid', nullable: true })
  @Index()
  creditMemo?: string | null;

  @Property({ type: 'text' })
  idempotencyKey!: string;

  @Property({ type: 'boolean' })
  requiresManualReconciliation: boolean = false;

  @Property({ type: 'datetime', nullable: true })
  reconciledAt?: Date | null;

  @Property({ type: 'text', nullable: true })
  reconciledBy?: string | null;

  @Enum({ items: () => SettlementState })
  settlement: SettlementState = SettlementState.PENDING;

  @Property({ type: 'datetime', nullable: true })
  settledAt?: Date | null;

  /** The processor payout that last carried the money to the bank (Stripe: po_...), failed or not. */
  @Property({ type: 'text', nullable: true })
  @Index()
  settlementReference?: string | null;

  @OneToMany(
    () => TransactionAllocation,
    (allocation) => allocation.transaction,
  )
  allocations = new Collection<TransactionAllocation>(this);

  @Property({ version: true, type: 'integer' })
  version: number = 1;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

/** The share of a transaction applied to one invoice. */
@Entity({ tableName: 'transaction_allocation' })
@Unique({ properties: ['transaction', 'invoice'] })
@Check({ name: 'transaction_allocation_amount_positive', expression: 'amount > 0' })
export class TransactionAllocation {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Transaction, { deleteRule: 'cascade' })
  transaction!: Transaction;

  @ManyToOne(() => Invoice)
  @Index()
  invoice!: Invoice;

  @Property({ type: new BigIntType('bigint') })
  amount!: bigint;
}
