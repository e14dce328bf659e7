import { Arg, Ctx, Directive, FieldResolver, Mutation, Resolver } from 'type-graphql';
import { type MerchantContext, MerchantType } from '../merchant/index.js';
import type { ProcessorAccountService } from './processor-account.service.js';
import { ProcessorAccountType, ProcessorOnboardingLinkType } from './processor-account.types.js';

export type Context = MerchantContext<{ processorAccounts: ProcessorAccountService }, unknown>;

@Resolver(() => MerchantType)
export class ProcessorAccountResolver {
  @FieldResolver(() => ProcessorAccountType, {
    description: "The merchant's own account at the processor; online payments wait until it can take charges.",
  })
  async processorAccount(@Ctx() ctx: Context): Promise<ProcessorAccountType> {
    return ProcessorAccountType.from(await ctx.services.processorAccounts.view(ctx.actor.merchantId));
  }

  @Mutation(() => ProcessorOnboardingLinkType, {
    description:
      "A single-use link to the processor's hosted onboarding (Stripe: an Account Link), the account made first if needed. returnUrl and refreshUrl must be absolute https URLs (http only on localhost). Supervised.",
  })
  @Directive('@supervisor')
  async startProcessorOnboarding(
    @Arg('returnUrl') returnUrl: string,
    @Arg('refreshUrl') refreshUrl: string,
    @Ctx() ctx: Context,
  ): Promise<ProcessorOnboardingLinkType> {
    return ProcessorOnboardingLinkType.from(
      await ctx.services.processorAccounts.startOnboarding(ctx.actor, ctx.actor.merchantId, { returnUrl, refreshUrl }),
    );
  }
}
