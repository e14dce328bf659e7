import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import type { MerchantContext } from '../../graphql/context.js';
import { InvoiceType } from '../invoice/invoice.types.js';
import { TransactionType } from '../transaction/transaction.types.js';
import { CreateCreditMemoInput, CreditMemoType } from './refund.types.js';

@Resolver(() => CreditMemoType)
export class RefundResolver {
  @Mutation(() => TransactionType, {
    description: 'Full refund; answers the REFUND transaction. A second refund of the same payment fails with code ALREADY_REFUNDED.',
  })
  async refundTransaction(@Arg('id', () => ID) id: string, @Arg('idempotencyKey') idempotencyKey: string, @Ctx() ctx: MerchantContext): Promise<TransactionType> {
    return TransactionType.from(await ctx.services.refunds.refundTransaction(ctx.actor, id, idempotencyKey));
  }

  @Mutation(() => CreditMemoType, { description: "Credits the invoice: lowers its amount due." })
  async createCreditMemo(@Arg('input') input: CreateCreditMemoInput, @Ctx() ctx: MerchantContext): Promise<CreditMemoType> {
    const memo = await ctx.services.refunds.createCreditMemo(ctx.actor, input);
    return CreditMemoType.from(memo, memo.invoice.currency);
  }

  @Mutation(() => CreditMemoType, { description: "Partial refund: refunds the credit memo's amount against the invoice's payments." })
  async issueCreditMemoRefund(@Arg('creditMemoId', () => ID) creditMemoId: string, @Arg('idempotencyKey') idempotencyKey: string, @Ctx() ctx: MerchantContext): Promise<CreditMemoType> {
    const memo = await ctx.services.refunds.issueCreditMemoRefund(ctx.actor, creditMemoId, idempotencyKey);
    const invoice = (await ctx.services.invoices.find(ctx.actor, memo.invoice.id))!;
    return CreditMemoType.from(memo, invoice.currency);
  }

  @FieldResolver(() => InvoiceType)
  async invoice(@Root() memo: CreditMemoType, @Ctx() ctx: MerchantContext): Promise<InvoiceType> {
    return InvoiceType.from((await ctx.services.invoices.find(ctx.actor, memo.invoiceId))!);
  }

  @FieldResolver(() => TransactionType, { nullable: true, description: 'The refund issued for this memo (the first, when it was spread over several payments).' })
  async refund(@Root() memo: CreditMemoType, @Ctx() ctx: MerchantContext): Promise<TransactionType | null> {
    const [first] = await ctx.loaders.creditMemoRefunds.load(memo.id);
    return first ? TransactionType.from(first) : null;
  }

  @FieldResolver(() => [TransactionType], { description: 'Every refund issued for this memo, one per payment it was taken from.' })
  async refunds(@Root() memo: CreditMemoType, @Ctx() ctx: MerchantContext): Promise<TransactionType[]> {
    return (await ctx.loaders.creditMemoRefunds.load(memo.id)).map((refund) => TransactionType.from(refund));
  }
}
