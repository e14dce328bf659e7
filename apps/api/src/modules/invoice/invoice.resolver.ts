import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { type InvoiceAmounts, merchantLinkStatus } from '../../domain/invoice-amounts.js';
import { InvoiceStatus } from '../../domain/statuses.js';
import type { Loader } from '../../kit/graphql/context.js';
import { MoneyType } from '../../kit/graphql/money.type.js';
import { toCalendarDate } from '../../kit/graphql/scalars.js';
import { type CreditMemo, CreditMemoType } from '../credit-memo/index.js';
import { type Customer, CustomerType } from '../customer/index.js';
import type { MerchantContext } from '../merchant/index.js';
import { type PaymentLink, PaymentLinkType } from '../payment-link/index.js';
import { type TransactionAllocation, TransactionType } from '../payments/index.js';
import { invoicePage } from './invoice.connection.js';
import type { InvoiceLine } from './invoice.entity.js';
import type { InvoiceService } from './invoice.service.js';
import { CreateInvoiceInput, InvoiceConnectionType, InvoiceLineType, InvoiceType, UpdateInvoiceInput } from './invoice.types.js';

interface InvoiceLoaders {
  customer: Loader<Customer | null>;
  invoiceAmounts: Loader<InvoiceAmounts>;
  invoiceLines: Loader<InvoiceLine[]>;
  invoiceLinks: Loader<PaymentLink[]>;
  invoiceTransactions: Loader<TransactionAllocation[]>;
  creditMemos: Loader<CreditMemo[]>;
}

/** What these resolvers use of a request's context. */
export type Context = MerchantContext<{ invoices: InvoiceService }, InvoiceLoaders>;

@Resolver(() => InvoiceType)
export class InvoiceResolver {
  @Query(() => InvoiceType, { nullable: true })
  async invoice(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<InvoiceType | null> {
    const invoice = await ctx.services.invoices.find(ctx.actor, id);
    return invoice && InvoiceType.from(invoice);
  }

  @Query(() => InvoiceConnectionType, { description: 'Newest first; filter by status and customer.' })
  invoices(
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
    @Arg('status', () => InvoiceStatus, { nullable: true }) status?: InvoiceStatus,
    @Arg('customerId', () => ID, { nullable: true }) customerId?: string,
  ): Promise<InvoiceConnectionType> {
    return invoicePage(ctx, { first, after, status, customerId });
  }

  @Mutation(() => InvoiceType, { description: 'Creates a DRAFT invoice.' })
  async createInvoice(@Arg('input') input: CreateInvoiceInput, @Ctx() ctx: Context): Promise<InvoiceType> {
    const invoice = await ctx.services.invoices.create(ctx.actor, { ...input, dueDate: toCalendarDate(input.dueDate) });
    return InvoiceType.from(invoice);
  }

  @Mutation(() => InvoiceType, { description: 'The active payment link follows the new amount.' })
  async updateInvoice(@Arg('id', () => ID) id: string, @Arg('input') input: UpdateInvoiceInput, @Ctx() ctx: Context): Promise<InvoiceType> {
    const invoice = await ctx.services.invoices.update(ctx.actor, id, {
      lines: input.lines,
      dueDate: input.dueDate === undefined ? undefined : toCalendarDate(input.dueDate),
    });
    return InvoiceType.from(invoice);
  }

  @Mutation(() => InvoiceType, { description: 'DRAFT -> OPEN: creates the payment link and emails the invoice.' })
  async sendInvoice(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<InvoiceType> {
    const { invoice, issuedLinkUrl } = await ctx.services.invoices.send(ctx.actor, id);
    return InvoiceType.from(invoice, issuedLinkUrl);
  }

  @Mutation(() => InvoiceType, { description: 'A new link (the old one becomes SUPERSEDED) and the email again.' })
  async resendInvoice(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<InvoiceType> {
    const { invoice, issuedLinkUrl } = await ctx.services.invoices.resend(ctx.actor, id);
    return InvoiceType.from(invoice, issuedLinkUrl);
  }

  @Mutation(() => InvoiceType, { description: 'DRAFT/OPEN -> VOID; an invoice with payments must be refunded first.' })
  async voidInvoice(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<InvoiceType> {
    return InvoiceType.from(await ctx.services.invoices.void(ctx.actor, id));
  }

  @FieldResolver(() => CustomerType)
  async customer(@Root() invoice: InvoiceType, @Ctx() ctx: Context): Promise<CustomerType> {
    return CustomerType.from((await ctx.loaders.customer.load(invoice.customerId))!);
  }

  @FieldResolver(() => [InvoiceLineType])
  async lines(@Root() invoice: InvoiceType, @Ctx() ctx: Context): Promise<InvoiceLineType[]> {
    return (await ctx.loaders.invoiceLines.load(invoice.id)).map((line) => InvoiceLineType.from(line, invoice.currency));
  }

  @FieldResolver(() => MoneyType)
  async total(@Root() invoice: InvoiceType, @Ctx() ctx: Context): Promise<MoneyType> {
    return MoneyType.of((await ctx.loaders.invoiceAmounts.load(invoice.id)).total, invoice.currency);
  }

  @FieldResolver(() => MoneyType, { description: 'Succeeded payments minus their refunds.' })
  async amountPaid(@Root() invoice: InvoiceType, @Ctx() ctx: Context): Promise<MoneyType> {
    return MoneyType.of((await ctx.loaders.invoiceAmounts.load(invoice.id)).paid, invoice.currency);
  }

  @FieldResolver(() => MoneyType, { description: 'Credit memos issued on the invoice.' })
  async amountCredited(@Root() invoice: InvoiceType, @Ctx() ctx: Context): Promise<MoneyType> {
    return MoneyType.of((await ctx.loaders.invoiceAmounts.load(invoice.id)).credited, invoice.currency);
  }

  @FieldResolver(() => MoneyType, { description: 'total - amountPaid - amountCredited, never below zero.' })
  async amountDue(@Root() invoice: InvoiceType, @Ctx() ctx: Context): Promise<MoneyType> {
    return MoneyType.of((await ctx.loaders.invoiceAmounts.load(invoice.id)).due, invoice.currency);
  }

  @FieldResolver(() => PaymentLinkType, { nullable: true, description: 'The current link (the newest); null before the invoice is sent.' })
  async paymentLink(@Root() invoice: InvoiceType, @Ctx() ctx: Context): Promise<PaymentLinkType | null> {
    const [current] = await ctx.loaders.invoiceLinks.load(invoice.id);
    return current ? this.toLinkType(current, invoice, ctx, invoice.issuedLinkUrl ?? null) : null;
  }

  @FieldResolver(() => [PaymentLinkType], { description: 'Every link the invoice had, newest first.' })
  async paymentLinks(@Root() invoice: InvoiceType, @Ctx() ctx: Context): Promise<PaymentLinkType[]> {
    const links = await ctx.loaders.invoiceLinks.load(invoice.id);
    return Promise.all(
      links.map((link, index) => this.toLinkType(link, invoice, ctx, index === 0 ? (invoice.issuedLinkUrl ?? null) : null)),
    );
  }

  @FieldResolver(() => [TransactionType], { description: 'Transactions allocated to this invoice, oldest first.' })
  async transactions(@Root() invoice: InvoiceType, @Ctx() ctx: Context): Promise<TransactionType[]> {
    const allocations = await ctx.loaders.invoiceTransactions.load(invoice.id);
    return allocations.map((allocation) => TransactionType.from(allocation.transaction));
  }

  @FieldResolver(() => [CreditMemoType])
  async creditMemos(@Root() invoice: InvoiceType, @Ctx() ctx: Context): Promise<CreditMemoType[]> {
    return (await ctx.loaders.creditMemos.load(invoice.id)).map((memo) => CreditMemoType.from(memo, invoice.currency));
  }

  private async toLinkType(link: PaymentLink, invoice: InvoiceType, ctx: Context, url: string | null): Promise<PaymentLinkType> {
    const amounts = await ctx.loaders.invoiceAmounts.load(invoice.id);
    return Object.assign(new PaymentLinkType(), {
      id: link.id,
      url,
      status: merchantLinkStatus({
        invoiceStatus: invoice.status,
        storedStatus: link.status,
        expiresAt: link.expiresAt,
        amounts,
        now: ctx.clock.now(),
      }),
      createdAt: link.createdAt,
      expiresAt: link.expiresAt,
    });
  }
}
