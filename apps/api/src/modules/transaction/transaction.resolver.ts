import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { PaymentMethodKind, TransactionStatus } from '../../domain/statuses.js';
import type { MerchantContext } from '../../graphql/context.js';
import { MoneyType } from '../../graphql/money.type.js';
import { MinorUnitsScalar } from '../../graphql/scalars.js';
import { CustomerType } from '../customer/customer.types.js';
import { InvoiceType } from '../invoice/invoice.types.js';
import { TransactionType } from './transaction.types.js';

@Resolver(() => TransactionType)
export class TransactionResolver {
  @Query(() => TransactionType, { nullable: true })
  async transaction(@Arg('id', () => ID) id: string, @Ctx() ctx: MerchantContext): Promise<TransactionType | null> {
    const transaction = await ctx.services.transactions.find(ctx.actor, id);
    return transaction && TransactionType.from(transaction);
  }

  @Mutation(() => TransactionType, { description: 'The invoice was paid through another channel (check, cash, other).' })
  async recordOfflinePayment(
    @Arg('invoiceId', () => ID) invoiceId: string,
    @Arg('amount', () => MinorUnitsScalar) amount: bigint,
    @Arg('method', () => PaymentMethodKind) method: PaymentMethodKind,
    @Arg('idempotencyKey') idempotencyKey: string,
    @Ctx() ctx: MerchantContext,
    @Arg('reference', () => String, { nullable: true, description: 'Check number, receipt number, ...' }) reference?: string,
  ): Promise<TransactionType> {
    const transaction = await ctx.services.transactions.recordOfflinePayment(ctx.actor, { invoiceId, amount, method, reference, idempotencyKey });
    return TransactionType.from(transaction);
  }

  @Mutation(() => [TransactionType], { description: 'Records who reconciled these transactions and when (all of them, or none for an unknown id).' })
  async markReconciled(@Arg('transactionIds', () => [ID]) transactionIds: string[], @Ctx() ctx: MerchantContext): Promise<TransactionType[]> {
    const rows = await ctx.services.transactions.markReconciled(ctx.actor, transactionIds, ctx.services.audit);
    return rows.map((row) => TransactionType.from(row));
  }

  @FieldResolver(() => CustomerType, { nullable: true })
  async customer(@Root() transaction: TransactionType, @Ctx() ctx: MerchantContext): Promise<CustomerType | null> {
    const customer = transaction.customerId ? await ctx.loaders.customer.load(transaction.customerId) : null;
    return customer && CustomerType.from(customer);
  }

  @FieldResolver(() => [InvoiceType], { description: 'The invoices this transaction is applied to.' })
  async invoices(@Root() transaction: TransactionType, @Ctx() ctx: MerchantContext): Promise<InvoiceType[]> {
    const allocations = await ctx.loaders.transactionAllocations.load(transaction.id);
    return allocations.map((allocation) => InvoiceType.from(allocation.invoice));
  }

  @FieldResolver(() => TransactionType, { nullable: true })
  async refundOf(@Root() transaction: TransactionType, @Ctx() ctx: MerchantContext): Promise<TransactionType | null> {
    const original = transaction.refundOfId ? await ctx.loaders.transaction.load(transaction.refundOfId) : null;
    return original && TransactionType.from(original);
  }

  @FieldResolver(() => [TransactionType])
  async refunds(@Root() transaction: TransactionType, @Ctx() ctx: MerchantContext): Promise<TransactionType[]> {
    return (await ctx.loaders.refunds.load(transaction.id)).map((refund) => TransactionType.from(refund));
  }

  @FieldResolver(() => MoneyType, { description: 'Sum of the succeeded refunds of this charge; never above its amount.' })
  async refundedAmount(@Root() transaction: TransactionType, @Ctx() ctx: MerchantContext): Promise<MoneyType> {
    const refunds = await ctx.loaders.refunds.load(transaction.id);
    const refunded = refunds.filter((r) => r.status === TransactionStatus.SUCCEEDED).reduce((sum, r) => sum + r.amount, 0n);
    return MoneyType.of(refunded, transaction.currency);
  }
}
