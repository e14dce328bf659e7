import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { MerchantContext } from '../../graphql/context.js';
import { MinorUnitsScalar } from '../../graphql/scalars.js';
import { TransactionType } from '../transaction/transaction.types.js';
import { ChargeInvoicesInput, RegisterTerminalReaderInput, TerminalReaderType, VirtualTerminalChargeInput } from './payment.types.js';

@Resolver()
export class PaymentResolver {
  @Mutation(() => TransactionType, { description: "Manual entry and 'Pay Invoices': one payment applied across one or more invoices of a customer." })
  async chargeInvoices(@Arg('input') input: ChargeInvoicesInput, @Arg('idempotencyKey') idempotencyKey: string, @Ctx() ctx: MerchantContext): Promise<TransactionType> {
    return TransactionType.from(await ctx.services.payments.chargeInvoices(ctx.actor, input, idempotencyKey));
  }

  @Mutation(() => TransactionType, { description: 'Not tied to an invoice; flagged for manual reconciliation.' })
  async virtualTerminalCharge(@Arg('input') input: VirtualTerminalChargeInput, @Arg('idempotencyKey') idempotencyKey: string, @Ctx() ctx: MerchantContext): Promise<TransactionType> {
    return TransactionType.from(await ctx.services.payments.virtualTerminalCharge(ctx.actor, input, idempotencyKey));
  }

  @Mutation(() => TransactionType, { description: 'Card-present on a registered reader; PROCESSING until the card is presented.' })
  async collectTerminalPayment(
    @Arg('readerId', () => ID) readerId: string,
    @Arg('idempotencyKey') idempotencyKey: string,
    @Ctx() ctx: MerchantContext,
    @Arg('invoiceIds', () => [ID], { nullable: true }) invoiceIds?: string[],
    @Arg('amount', () => MinorUnitsScalar, { nullable: true, description: 'Without invoices: required. With invoices: at most what they have due (default: all of it).' }) amount?: bigint,
    @Arg('currency', () => String, { nullable: true, description: 'Without invoices; default USD.' }) currency?: string,
  ): Promise<TransactionType> {
    return TransactionType.from(await ctx.services.payments.collectTerminalPayment(ctx.actor, { readerId, invoiceIds, amount, currency }, idempotencyKey));
  }

  @Mutation(() => TerminalReaderType)
  async registerTerminalReader(@Arg('input') input: RegisterTerminalReaderInput, @Ctx() ctx: MerchantContext): Promise<TerminalReaderType> {
    return TerminalReaderType.from(await ctx.services.terminals.register(ctx.actor, input));
  }

  @Query(() => [TerminalReaderType])
  async terminalReaders(@Ctx() ctx: MerchantContext): Promise<TerminalReaderType[]> {
    return (await ctx.services.terminals.list(ctx.actor)).map((reader) => TerminalReaderType.from(reader));
  }
}
