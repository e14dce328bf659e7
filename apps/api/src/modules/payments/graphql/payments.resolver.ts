import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { PaymentMethodKind } from '../../../domain/statuses.js';
import type { Loader } from '../../../kit/graphql/context.js';
import { MinorUnitsScalar } from '../../../kit/graphql/scalars.js';
import type { AuditService } from '../../audit/index.js';
import { type CreditMemoService, CreditMemoType } from '../../credit-memo/index.js';
import type { MerchantContext } from '../../merchant/index.js';
import type { Transaction } from '../ledger/transaction.entity.js';
import type { PaymentsService } from '../payments.service.js';
import { ChargeInvoicesInput, VirtualTerminalChargeInput } from './payments.types.js';
import { TransactionType } from './transaction.types.js';

/** Every merchant-side way money moves, each answering the transaction it made (or, replayed, that one as it is now). */
/** What these resolvers use of a request's context. */
export type Context = MerchantContext<
  { payments: PaymentsService; creditMemos: CreditMemoService; audit: AuditService },
  { creditMemoRefunds: Loader<Transaction[]> }
>;

@Resolver()
export class PaymentsResolver {
  @Mutation(() => TransactionType, {
    description: "Manual entry and 'Pay Invoices': one payment applied across one or more invoices of a customer.",
  })
  async chargeInvoices(
    @Arg('input') input: ChargeInvoicesInput,
    @Arg('idempotencyKey') idempotencyKey: string,
    @Ctx() ctx: Context,
  ): Promise<TransactionType> {
    return TransactionType.fromView(await ctx.services.payments.chargeInvoices(ctx.actor, input, idempotencyKey));
  }

  @Mutation(() => TransactionType, { description: 'Not tied to an invoice; flagged for manual reconciliation.' })
  async virtualTerminalCharge(
    @Arg('input') input: VirtualTerminalChargeInput,
    @Arg('idempotencyKey') idempotencyKey: string,
    @Ctx() ctx: Context,
  ): Promise<TransactionType> {
    return TransactionType.fromView(await ctx.services.payments.virtualTerminalCharge(ctx.actor, input, idempotencyKey));
  }

  @Mutation(() => TransactionType, { description: 'Card-present on a registered reader; PROCESSING until the card is presented.' })
  async collectTerminalPayment(
    @Arg('readerId', () => ID) readerId: string,
    @Arg('idempotencyKey') idempotencyKey: string,
    @Ctx() ctx: Context,
    @Arg('invoiceIds', () => [ID], { nullable: true }) invoiceIds?: string[],
    @Arg('amount', () => MinorUnitsScalar, {
      nullable: true,
      description: 'Without invoices: required. With invoices: at most what they have due (default: all of it).',
    })
    amount?: bigint,
    @Arg('currency', () => String, { nullable: true, description: 'Without invoices; default USD.' }) currency?: string,
  ): Promise<TransactionType> {
    return TransactionType.fromView(
      await ctx.services.payments.collectTerminalPayment(ctx.actor, { readerId, invoiceIds, amount, currency }, idempotencyKey),
    );
  }

  @Mutation(() => TransactionType, { description: 'The invoice was paid through another channel (check, cash, other).' })
  async recordOfflinePayment(
    @Arg('invoiceId', () => ID) invoiceId: string,
    @Arg('amount', () => MinorUnitsScalar) amount: bigint,
    @Arg('method', () => PaymentMethodKind) method: PaymentMethodKind,
    @Arg('idempotencyKey') idempotencyKey: string,
    @Ctx() ctx: Context,
    @Arg('reference', () => String, { nullable: true, description: 'Check number, receipt number, ...' }) reference?: string,
  ): Promise<TransactionType> {
    return TransactionType.fromView(
      await ctx.services.payments.recordOfflinePayment(ctx.actor, { invoiceId, amount, method, reference }, idempotencyKey),
    );
  }

  @Mutation(() => TransactionType, {
    description: 'Full refund; answers the REFUND transaction. A second refund of the same payment fails with code ALREADY_REFUNDED.',
  })
  async refundTransaction(
    @Arg('id', () => ID) id: string,
    @Arg('idempotencyKey') idempotencyKey: string,
    @Ctx() ctx: Context,
  ): Promise<TransactionType> {
    return TransactionType.fromView(await ctx.services.payments.refundTransaction(ctx.actor, id, idempotencyKey));
  }

  @Mutation(() => CreditMemoType, { description: "Partial refund: refunds the credit memo's amount against the invoice's payments." })
  async issueCreditMemoRefund(
    @Arg('creditMemoId', () => ID) creditMemoId: string,
    @Arg('idempotencyKey') idempotencyKey: string,
    @Ctx() ctx: Context,
  ): Promise<CreditMemoType> {
    const memoId = await ctx.services.payments.issueCreditMemoRefund(ctx.actor, creditMemoId, idempotencyKey);
    const memo = (await ctx.services.creditMemos.find(ctx.actor, memoId))!;
    return CreditMemoType.from(memo, memo.invoice.currency);
  }

  @Mutation(() => [TransactionType], {
    description: 'Records who reconciled these transactions and when (all of them, or none for an unknown id).',
  })
  async markReconciled(@Arg('transactionIds', () => [ID]) transactionIds: string[], @Ctx() ctx: Context): Promise<TransactionType[]> {
    const views = await ctx.services.payments.markReconciled(ctx.actor, transactionIds, ctx.services.audit);
    return views.map((view) => TransactionType.fromView(view));
  }
}

/** A credit memo's refunds: the transactions its refund made, one per payment it drew on. */
@Resolver(() => CreditMemoType)
export class CreditMemoRefundsResolver {
  @FieldResolver(() => TransactionType, {
    nullable: true,
    description: 'The refund issued for this memo (the first, when it was spread over several payments).',
  })
  async refund(@Root() memo: CreditMemoType, @Ctx() ctx: Context): Promise<TransactionType | null> {
    const [first] = await ctx.loaders.creditMemoRefunds.load(memo.id);
    return first ? TransactionType.from(first) : null;
  }

  @FieldResolver(() => [TransactionType], { description: 'Every refund issued for this memo, one per payment it was taken from.' })
  async refunds(@Root() memo: CreditMemoType, @Ctx() ctx: Context): Promise<TransactionType[]> {
    return (await ctx.loaders.creditMemoRefunds.load(memo.id)).map((refund) => TransactionType.from(refund));
  }
}
