import { Field, ID, ObjectType } from 'type-graphql';
import { PaymentChannel, PaymentMethodKind, SettlementState, TransactionKind, TransactionStatus } from '../../../domain/statuses.js';
import { MoneyType } from '../../../kit/graphql/money.type.js';
import type { Transaction } from '../ledger/transaction.entity.js';
import type { TransactionView } from '../ledger/transaction.view.js';

@ObjectType('Transaction', { description: 'A charge, a refund or a dispute: every money movement is one transaction.' })
export class TransactionType {
  @Field(() => ID)
  id!: string;

  @Field(() => TransactionKind)
  kind!: TransactionKind;

  @Field(() => TransactionStatus)
  status!: TransactionStatus;

  @Field(() => PaymentChannel)
  channel!: PaymentChannel;

  @Field(() => PaymentMethodKind)
  method!: PaymentMethodKind;

  @Field(() => MoneyType)
  amount!: MoneyType;

  @Field(() => MoneyType, { nullable: true, description: 'The processing fee, once known.' })
  fee!: MoneyType | null;

  @Field(() => String, {
    nullable: true,
    description: 'A refund\'s is "Refund " + the original code; an offline payment\'s is its reference.',
  })
  authorizationCode!: string | null;

  @Field(() => SettlementState)
  settlement!: SettlementState;

  @Field(() => Date, {
    nullable: true,
    description: 'When the money reached the bank: the arrival of the payout that carried it (ACH: its settlement).',
  })
  settledAt!: Date | null;

  @Field(() => String, {
    nullable: true,
    description:
      'The processor payout that last carried the money (Stripe: po_...; sandbox: po_sbx_...); still named while PENDING after that payout failed.',
  })
  settlementReference!: string | null;

  @Field()
  requiresManualReconciliation!: boolean;

  @Field(() => Date, { nullable: true })
  reconciledAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'The API key (its prefix) that reconciled it.' })
  reconciledBy!: string | null;

  @Field(() => String, { nullable: true })
  failureCode!: string | null;

  @Field(() => String, { nullable: true })
  failureMessage!: string | null;

  @Field(() => Date)
  createdAt!: Date;

  customerId!: string | null;
  refundOfId!: string | null;
  currency!: string;

  static from(transaction: Transaction): TransactionType {
    return TransactionType.fromView({
      id: transaction.id,
      kind: transaction.kind,
      status: transaction.status,
      channel: transaction.channel,
      method: transaction.method,
      amount: transaction.amount,
      currency: transaction.currency,
      settlement: transaction.settlement,
      requiresManualReconciliation: transaction.requiresManualReconciliation,
      createdAt: transaction.createdAt,
      fee: transaction.fee ?? null,
      authorizationCode: transaction.authorizationCode ?? null,
      settledAt: transaction.settledAt ?? null,
      settlementReference: transaction.settlementReference ?? null,
      reconciledAt: transaction.reconciledAt ?? null,
      reconciledBy: transaction.reconciledBy ?? null,
      failureCode: transaction.failureCode ?? null,
      failureMessage: transaction.failureMessage ?? null,
      customerId: transaction.customer?.id ?? null,
      refundOfId: transaction.refundOf?.id ?? null,
      cardBrand: transaction.cardBrand ?? null,
      cardLast4: transaction.cardLast4 ?? null,
      updatedAt: transaction.updatedAt,
    });
  }

  static fromView(view: TransactionView): TransactionType {
    return Object.assign(new TransactionType(), {
      id: view.id,
      kind: view.kind,
      status: view.status,
      channel: view.channel,
      method: view.method,
      amount: MoneyType.of(view.amount, view.currency),
      fee: view.fee === null ? null : MoneyType.of(view.fee, view.currency),
      authorizationCode: view.authorizationCode,
      settlement: view.settlement,
      settledAt: view.settledAt,
      settlementReference: view.settlementReference,
      requiresManualReconciliation: view.requiresManualReconciliation,
      reconciledAt: view.reconciledAt,
      reconciledBy: view.reconciledBy,
      failureCode: view.failureCode,
      failureMessage: view.failureMessage,
      createdAt: view.createdAt,
      customerId: view.customerId,
      refundOfId: view.refundOfId,
      currency: view.currency,
    });
  }
}
