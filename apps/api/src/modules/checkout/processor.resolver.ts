import { Ctx, Query, Resolver } from 'type-graphql';
import type { BaseContext } from '../../kit/graphql/context.js';
import type { Settings } from '../../kit/settings.js';
import { ProcessorKindEnum, PublicProcessorType } from './checkout.types.js';

/** What this resolver uses of a request's context: the settings only. */
export type Context = Pick<BaseContext<unknown>, 'settings'>;

/**
 * Where a browser's card form sends card details: the sandbox's tokeniser, or Stripe.js with the
 * publishable key (and, for a merchant's link, its connected account).
 */
export function processorOf(settings: Settings, account: string | null = null): PublicProcessorType {
  const stripe = settings.paymentProcessor === 'stripe';
  return {
    kind: stripe ? ProcessorKindEnum.STRIPE : ProcessorKindEnum.SANDBOX,
    publishableKey: stripe ? (settings.stripePublishableKey ?? null) : null,
    tokeniserUrl: stripe ? null : `${settings.publicApiUrl}/sandbox/v1/payment_methods`,
    connectedAccount: stripe ? account : null,
  };
}

/**
 * In both schemas: the checkout's pages and the merchant console (or a merchant's own front-end)
 * tokenise cards in the browser, and need to know where.
 */
@Resolver()
export class ProcessorResolver {
  @Query(() => PublicProcessorType, { description: 'The payment processor card forms tokenise with: card details go there, never to us.' })
  processor(@Ctx() ctx: Context): PublicProcessorType {
    return processorOf(ctx.settings);
  }
}
