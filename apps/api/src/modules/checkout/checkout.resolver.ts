import { Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import { PaymentMethodKind } from '../../domain/statuses.js';
import type { CheckoutContext } from '../../graphql/context.js';
import { ProcessorKindEnum } from '../../graphql/enums.js';
import { MoneyType } from '../../graphql/money.type.js';
import { InvoiceLineType } from '../invoice/invoice.types.js';
import type { PublicLinkView } from '../payment-link/payment-link.service.js';
import { PublicPaymentLinkType } from '../payment-link/payment-link.types.js';
import { PublicPaymentResultType } from '../payment/payment.types.js';
import { PublicCardSetupLinkType, PublicCardSetupResultType } from '../vault/vault.types.js';
import { PublicProcessorType } from './checkout.types.js';

/** Methods the pay page offers: credit or debit card, and ACH (US bank account). */
const ACCEPTED_METHODS = [PaymentMethodKind.CREDIT_CARD, PaymentMethodKind.DEBIT_CARD, PaymentMethodKind.ACH];

function processorOf(ctx: CheckoutContext): PublicProcessorType {
  const stripe = ctx.settings.paymentProcessor === 'stripe';
  return {
    kind: stripe ? ProcessorKindEnum.STRIPE : ProcessorKindEnum.SANDBOX,
    publishableKey: stripe ? (ctx.settings.stripePublishableKey ?? null) : null,
    tokeniserUrl: stripe ? null : `${ctx.settings.publicApiUrl}/sandbox/v1/payment_methods`,
  };
}

@Resolver()
export class CheckoutResolver {
  @Query(() => PublicProcessorType, { description: 'The payment processor the checkout tokenises with.' })
  processor(@Ctx() ctx: CheckoutContext): PublicProcessorType {
    return processorOf(ctx);
  }

  @Query(() => PublicPaymentLinkType, { nullable: true, description: 'The pay page of a payment link; null for an unknown token.' })
  async paymentLink(@Arg('token') token: string, @Ctx() ctx: CheckoutContext): Promise<PublicPaymentLinkType | null> {
    const view = await ctx.tokenLookups.lookup(ctx.ip, () => ctx.services.links.findPublic(token, ctx.clock.now()));
    return view && toPublicLink(view, ctx);
  }

  @Mutation(() => PublicPaymentResultType, {
    description: "Pays the invoice's current amount due with a token from the tokeniser (Stripe.js or the sandbox's). A decline is a FAILED result, not an error.",
  })
  async payWithLink(
    @Arg('token') token: string,
    @Arg('paymentMethodToken') paymentMethodToken: string,
    @Arg('idempotencyKey') idempotencyKey: string,
    @Ctx() ctx: CheckoutContext,
  ): Promise<PublicPaymentResultType> {
    const mandate = { type: 'online' as const, ipAddress: ctx.ip ?? '127.0.0.1', userAgent: ctx.userAgent ?? 'unknown' };
    const transaction = await ctx.tokenLookups.guard(ctx.ip, () => ctx.services.payments.payWithLink(token, paymentMethodToken, idempotencyKey, mandate));
    return Object.assign(new PublicPaymentResultType(), {
      status: transaction.status,
      failureCode: transaction.failureCode ?? null,
      failureMessage: transaction.failureMessage ?? null,
      receipt: PublicPaymentResultType.receiptOf(transaction),
      linkToken: token,
    });
  }

  @Subscription(() => PublicPaymentLinkType, {
    description:
      'The pay page live, over graphql-ws: the link as it is now, then again whenever it changes (an ACH payment from processing to settled, a payment recorded elsewhere). An unknown token answers NOT_FOUND.',
    subscribe: ({ args, context }: SubscribeResolverData<PublicLinkView, { token: string }, CheckoutContext>) => context.services.linkStatus.watch(args.token),
  })
  paymentLinkStatus(@Root() view: PublicLinkView, @Ctx() ctx: CheckoutContext, @Arg('token') _token: string): PublicPaymentLinkType {
    return toPublicLink(view, ctx);
  }
}

@Resolver(() => PublicPaymentResultType)
export class PublicPaymentResultResolver {
  /** Read after the attempt, and only when asked for. */
  @FieldResolver(() => PublicPaymentLinkType)
  async link(@Root() result: PublicPaymentResultType, @Ctx() ctx: CheckoutContext): Promise<PublicPaymentLinkType> {
    const view = await ctx.services.links.findPublic(result.linkToken, ctx.clock.now());
    return toPublicLink(view!, ctx);
  }
}

@Resolver()
export class CheckoutCardSetupResolver {
  @Query(() => PublicCardSetupLinkType, { nullable: true, description: "The add-card page of a 'Send New CC Link' email; null for an unknown token." })
  async cardSetupLink(@Arg('token') token: string, @Ctx() ctx: CheckoutContext): Promise<PublicCardSetupLinkType | null> {
    const view = await ctx.tokenLookups.lookup(ctx.ip, () => ctx.services.vault.findPublicSetupLink(token));
    return view && Object.assign(new PublicCardSetupLinkType(), { ...view, processor: processorOf(ctx) });
  }

  @Mutation(() => PublicCardSetupResultType, { description: "'Save CC Data': saves the tokenised card in the customer's vault; the link is then used up." })
  async saveCardWithLink(@Arg('token') token: string, @Arg('paymentMethodToken') paymentMethodToken: string, @Ctx() ctx: CheckoutContext): Promise<PublicCardSetupResultType> {
    const card = await ctx.tokenLookups.guard(ctx.ip, () => ctx.services.vault.saveCardWithLink(token, paymentMethodToken));
    return { card: { brand: card.brand, last4: card.last4, expMonth: card.expMonth, expYear: card.expYear } };
  }
}

function toPublicLink(view: PublicLinkView, ctx: CheckoutContext): PublicPaymentLinkType {
  const money = (amount: bigint) => MoneyType.of(amount, view.currency);
  return Object.assign(new PublicPaymentLinkType(), {
    status: view.status,
    merchantName: view.merchantName,
    invoiceNumber: view.invoiceNumber,
    lines: view.lines.map((line) => InvoiceLineType.from(line, view.currency)),
    total: money(view.amounts.total),
    amountPaid: money(view.amounts.paid),
    amountCredited: money(view.amounts.credited),
    amountDue: money(view.amounts.due),
    currency: view.currency,
    dueDate: view.dueDate,
    acceptedMethods: ACCEPTED_METHODS,
    processor: processorOf(ctx),
  });
}
