import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, type SubscribeResolverData, Subscription } from 'type-graphql';
import { PaymentMethodKind, TransactionStatus } from '../../domain/statuses.js';
import { MoneyType } from '../../kit/graphql/money.type.js';
import { MinorUnitsScalar } from '../../kit/graphql/scalars.js';
import { InvoiceLineType } from '../invoice/index.js';
import type { PaymentLinkService, PublicLinkView } from '../payment-link/index.js';
import { onlineMandate, type PaymentsService, PublicPaymentResultType, type ReceiptService } from '../payments/index.js';
import type { ProcessorAccountService } from '../processor-account/index.js';
import type { VaultService } from '../vault/index.js';
import type { CheckoutContext } from './checkout.context.js';
import { PublicCardSetupLinkType, PublicCardSetupResultType, PublicPaymentLinkType } from './checkout.types.js';
import type { PaymentLinkStatusService } from './payment-link-status.service.js';
import { processorOf } from './processor.resolver.js';

/** What these resolvers use of a request's context. */
export type Context = CheckoutContext<{
  links: PaymentLinkService;
  payments: PaymentsService;
  receipts: ReceiptService;
  linkStatus: PaymentLinkStatusService;
  vault: VaultService;
  processorAccounts: ProcessorAccountService;
}>;

/** Methods the pay page offers: credit or debit card, and ACH (US bank account). */
const ACCEPTED_METHODS = [PaymentMethodKind.CREDIT_CARD, PaymentMethodKind.DEBIT_CARD, PaymentMethodKind.ACH];

@Resolver()
export class CheckoutResolver {
  @Query(() => PublicPaymentLinkType, { nullable: true, description: 'The pay page of a payment link; null for an unknown token.' })
  async paymentLink(@Arg('token') token: string, @Ctx() ctx: Context): Promise<PublicPaymentLinkType | null> {
    const view = await ctx.tokenLookups.lookup(ctx.ip, () => ctx.services.links.findPublic(token, ctx.clock.now()));
    return view && toPublicLink(view, ctx);
  }

  @Mutation(() => PublicPaymentResultType, {
    description:
      "Pays the invoice's current amount due with a token from the tokeniser (Stripe.js or the sandbox's). A decline is a FAILED result, not an error.",
  })
  async payWithLink(
    @Arg('token') token: string,
    @Arg('paymentMethodToken') paymentMethodToken: string,
    @Arg('idempotencyKey') idempotencyKey: string,
    @Ctx() ctx: Context,
  ): Promise<PublicPaymentResultType> {
    const mandate = onlineMandate(ctx.ip, ctx.userAgent);
    const transaction = await ctx.tokenLookups.guard(ctx.ip, () =>
      ctx.services.payments.payWithLink({ token, paymentMethodToken, idempotencyKey, mandate }),
    );
    // The one moment the link's token is known alongside the payment: the email carries it (once per payment).
    if (transaction.status === TransactionStatus.REQUIRES_ACTION && transaction.nextAction?.type === 'VERIFY_MICRODEPOSITS') {
      await ctx.services.receipts.sendMicrodepositInstructions(
        transaction.id,
        `${ctx.settings.checkoutUrl}/pay/${token}?payment=${transaction.id}`,
      );
    }
    return PublicPaymentResultType.of(transaction, token);
  }

  @Mutation(() => PublicPaymentResultType, {
    description:
      'After the customer acted on what a payment waited for (3-D Secure): reads the payment back from the processor and records how it ended. Safe to repeat.',
  })
  async completeLinkPayment(
    @Arg('token') token: string,
    @Arg('paymentId', () => ID) paymentId: string,
    @Ctx() ctx: Context,
  ): Promise<PublicPaymentResultType> {
    const transaction = await ctx.tokenLookups.guard(ctx.ip, () => ctx.services.payments.completeLinkPayment(token, paymentId));
    return PublicPaymentResultType.of(transaction, token);
  }

  @Mutation(() => PublicPaymentResultType, {
    description:
      "A bank payment waiting for micro-deposits (nextAction VERIFY_MICRODEPOSITS): the two deposits' amounts, or the code in the one deposit's description (SM...). Wrong values answer MICRODEPOSITS_MISMATCH with attemptsLeft; the tenth wrong answer fails the payment (FAILED), and the link takes another payment.",
  })
  async verifyMicrodeposits(
    @Arg('token') token: string,
    @Arg('paymentId', () => ID) paymentId: string,
    @Arg('amounts', () => [MinorUnitsScalar], { nullable: true }) amounts: bigint[] | null,
    @Arg('descriptorCode', () => String, { nullable: true }) descriptorCode: string | null,
    @Ctx() ctx: Context,
  ): Promise<PublicPaymentResultType> {
    const transaction = await ctx.tokenLookups.guard(ctx.ip, () =>
      ctx.services.payments.verifyMicrodeposits(token, paymentId, { amounts, descriptorCode }),
    );
    return PublicPaymentResultType.of(transaction, token);
  }

  @Subscription(() => PublicPaymentLinkType, {
    description:
      'The pay page live, over graphql-ws: the link as it is now, then again whenever it changes (an ACH payment from processing to settled, a payment recorded elsewhere). An unknown token answers NOT_FOUND.',
    // An unknown token is a miss like any other lookup's: counted, and refused past the limit.
    subscribe: ({ args, context }: SubscribeResolverData<PublicLinkView, { token: string }, Context>) =>
      context.tokenLookups.guard(context.ip, () => context.services.linkStatus.watch(args.token)),
  })
  paymentLinkStatus(@Root() view: PublicLinkView, @Ctx() ctx: Context, @Arg('token') _token: string): PublicPaymentLinkType {
    return toPublicLink(view, ctx);
  }
}

@Resolver(() => PublicPaymentResultType)
export class PublicPaymentResultResolver {
  /** Read after the attempt, and only when asked for. */
  @FieldResolver(() => PublicPaymentLinkType)
  async link(@Root() result: PublicPaymentResultType, @Ctx() ctx: Context): Promise<PublicPaymentLinkType> {
    const view = await ctx.services.links.findPublic(result.linkToken, ctx.clock.now());
    return toPublicLink(view!, ctx);
  }
}

@Resolver()
export class CheckoutCardSetupResolver {
  @Query(() => PublicCardSetupLinkType, {
    nullable: true,
    description: "The add-card page of a 'Send New CC Link' email; null for an unknown token.",
  })
  async cardSetupLink(@Arg('token') token: string, @Ctx() ctx: Context): Promise<PublicCardSetupLinkType | null> {
    const view = await ctx.tokenLookups.lookup(ctx.ip, () => ctx.services.vault.findPublicSetupLink(token));
    if (!view) return null;
    // Stripe.js saves the card in the merchant's own account.
    const account = ctx.settings.paymentProcessor === 'stripe' ? await ctx.services.processorAccounts.referenceOf(view.merchantId) : null;
    return Object.assign(new PublicCardSetupLinkType(), { ...view, processor: processorOf(ctx.settings, account) });
  }

  @Mutation(() => PublicCardSetupResultType, {
    description: "'Save CC Data': saves the tokenised card in the customer's vault; the link is then used up.",
  })
  async saveCardWithLink(
    @Arg('token') token: string,
    @Arg('paymentMethodToken') paymentMethodToken: string,
    @Ctx() ctx: Context,
  ): Promise<PublicCardSetupResultType> {
    const card = await ctx.tokenLookups.guard(ctx.ip, () => ctx.services.vault.saveCardWithLink(token, paymentMethodToken));
    return { card: { brand: card.brand, last4: card.last4, expMonth: card.expMonth, expYear: card.expYear } };
  }
}

function toPublicLink(view: PublicLinkView, ctx: Context): PublicPaymentLinkType {
  const money = (amount: bigint) => MoneyType.of(amount, view.currency);
  return Object.assign(new PublicPaymentLinkType(), {
    // Not a field: read by the branding resolver only.
    merchantId: view.merchantId,
    status: view.status,
    merchantName: view.merchantName,
    newerLinkSent: view.newerLinkSent,
    invoiceNumber: view.invoiceNumber,
    lines: view.lines.map((line) => InvoiceLineType.from(line, view.currency)),
    total: money(view.amounts.total),
    amountPaid: money(view.amounts.paid),
    amountCredited: money(view.amounts.credited),
    amountDue: money(view.amounts.due),
    currency: view.currency,
    dueDate: view.dueDate,
    acceptedMethods: view.onlinePaymentsAvailable ? ACCEPTED_METHODS : [],
    onlinePaymentsAvailable: view.onlinePaymentsAvailable,
    processor: processorOf(ctx.settings, view.processorAccount),
  });
}
