import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import type { MerchantContext } from '../merchant/index.js';
import type { PartnerService } from './partner.service.js';

/** What these resolvers use of a request's context. */
export type Context = MerchantContext<{ partners: PartnerService }, unknown>;

@Resolver()
export class PartnerResolver {
  @Mutation(() => Boolean, {
    description:
      "Lets the partner follow this merchant's payments (paymentStatusChanged). True once it has access; granting twice changes nothing. Unknown partner: NOT_FOUND.",
  })
  async grantPartnerAccess(@Arg('partnerId', () => ID) partnerId: string, @Ctx() ctx: Context): Promise<boolean> {
    await ctx.services.partners.grant(ctx.actor, partnerId);
    return true;
  }

  @Mutation(() => Boolean, {
    description:
      "Ends the partner's access; its open streams of this merchant end with FORBIDDEN. True once it has no access; revoking twice changes nothing.",
  })
  async revokePartnerAccess(@Arg('partnerId', () => ID) partnerId: string, @Ctx() ctx: Context): Promise<boolean> {
    await ctx.services.partners.revoke(ctx.actor, partnerId);
    return true;
  }
}
