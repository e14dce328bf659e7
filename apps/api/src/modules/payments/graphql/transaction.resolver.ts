import { Arg, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { TransactionStatus } from '../../../domain/statuses.js';
import type { Loader } from '../../../kit/graphql/context.js';
import { MoneyType } from '../../../kit/graphql/money.type.js';
import { type Customer, CustomerType } from '../../customer/index.js';
import { InvoiceType } from '../../invoice/index.js';
import type { MerchantContext } from '../../merchant/index.js';
import type { Dispute } from '../disputes/dispute.entity.js';
import type { Transaction, TransactionAllocation } from '../ledger/transaction.entity.js';
import type { PaymentsService } from '../payments.service.js';
import { DisputeType } from './dispute.types.js';
import { TransactionType } from './transaction.types.js';

/** What these resolvers use of a request's context. */
export type Context = MerchantContext<
  { payments: PaymentsService },
  {
    customer: Loader<Customer | null>;
    transactionAllocations: Loader<TransactionAllocation[]>;
    transaction: Loader<Transaction | null>;
    refunds: Loader<Transaction[]>;
    disputes: Loader<Dispute[]>;
  }
>;

@Resolver(() => TransactionType)
export class TransactionResolver {
  @Query(() => TransactionType, { nullable: true })
  async transaction(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<TransactionType | null> {
    const transaction = await ctx.services.payments.find(ctx.actor, id);
    return transaction && TransactionType.fromView(transaction);
  }

  @FieldResolver(() => CustomerType, { nullable: true })
  async customer(@Root() transaction: TransactionType, @Ctx() ctx: Context): Promise<CustomerType | null> {
    const customer = transaction.customerId ? await ctx.loaders.customer.load(transaction.customerId) : null;
    return customer && CustomerType.from(customer);
  }

  @FieldResolver(() => [InvoiceType], { description: 'The invoices this transaction is applied to.' })
  async invoices(@Root() transaction: TransactionType, @Ctx() ctx: Context): Promise<InvoiceType[]> {
    const allocations = await ctx.loaders.transactionAllocations.load(transaction.id);
    return allocations.map((allocation) => InvoiceType.from(allocation.invoice));
  }

  @FieldResolver(() => TransactionType, { nullable: true })
  async refundOf(@Root() transaction: TransactionType, @Ctx() ctx: Context): Promise<TransactionType | null> {
    const original = transaction.refundOfId ? await ctx.loaders.transaction.load(transaction.refundOfId) : null;
    return original && TransactionType.from(original);
  }

  @FieldResolver(() => [TransactionType])
  async refunds(@Root() transaction: TransactionType, @Ctx() ctx: Context): Promise<TransactionType[]> {
    return (await ctx.loaders.refunds.load(transaction.id)).map((refund) => TransactionType.from(refund));
  }

  @FieldResolver(() => [DisputeType], { description: "A charge's disputes (chargebacks), oldest first; none for other transactions." })
  async disputes(@Root() transaction: TransactionType, @Ctx() ctx: Context): Promise<DisputeType[]> {
    return (await ctx.loaders.disputes.load(transaction.id)).map((dispute) => DisputeType.from(dispute));
  }

  @FieldResolver(() => MoneyType, { description: 'Sum of the succeeded refunds of this charge; never above its amount.' })
  async refundedAmount(@Root() transaction: TransactionType, @Ctx() ctx: Context): Promise<MoneyType> {
    const refunds = await ctx.loaders.refunds.load(transaction.id);
    const refunded = refunds.filter((r) => r.status === TransactionStatus.SUCCEEDED).reduce((sum, r) => sum + r.amount, 0n);
    return MoneyType.of(refunded, transaction.currency);
  }
}
