import { Arg, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import { type InvoiceService, InvoiceType } from '../invoice/index.js';
import type { MerchantContext } from '../merchant/index.js';
import type { CreditMemoService } from './credit-memo.service.js';
import { CreateCreditMemoInput, CreditMemoType } from './credit-memo.types.js';

/** What these resolvers use of a request's context. */
export type Context = MerchantContext<{ creditMemos: CreditMemoService; invoices: InvoiceService }, unknown>;

@Resolver(() => CreditMemoType)
export class CreditMemoResolver {
  @Mutation(() => CreditMemoType, { description: 'Credits the invoice: lowers its amount due.' })
  async createCreditMemo(@Arg('input') input: CreateCreditMemoInput, @Ctx() ctx: Context): Promise<CreditMemoType> {
    const memo = await ctx.services.creditMemos.create(ctx.actor, input);
    return CreditMemoType.from(memo, memo.invoice.currency);
  }

  @FieldResolver(() => InvoiceType)
  async invoice(@Root() memo: CreditMemoType, @Ctx() ctx: Context): Promise<InvoiceType> {
    return InvoiceType.from((await ctx.services.invoices.find(ctx.actor, memo.invoiceId))!);
  }
}
