import { Ctx, Field, FieldResolver, ObjectType, Resolver, Root } from 'type-graphql';
import { brandingOf, Merchant } from '../merchant/index.js';
import type { CheckoutContext } from './checkout.context.js';
import { PublicCardSetupLinkType, PublicPaymentLinkType } from './checkout.types.js';

@ObjectType('PublicMerchantBranding', {
  simpleResolvers: true,
  description: "How the merchant's pages look: its logo and accent colour, and where its customers write.",
})
export class PublicMerchantBrandingType {
  @Field(() => String, { nullable: true, description: 'An image URL on the API (PNG, JPEG or sanitised SVG).' })
  logoUrl!: string | null;

  @Field(() => String, { nullable: true, description: '#rrggbb' })
  accentColor!: string | null;

  @Field(() => String, { nullable: true, description: 'Black or white, readable on accentColor.' })
  accentTextColor!: string | null;

  @Field(() => String, { nullable: true })
  supportEmail!: string | null;
}

/** The public pages carry their merchant's id internally (never as a field): the branding is read by it, only when asked for. */
type WithMerchant = { merchantId?: string };

/** What these resolvers use of a request's context: its unit of work and the settings. */
export type Context = CheckoutContext<unknown>;

async function brandingFor(source: WithMerchant, ctx: Context): Promise<PublicMerchantBrandingType> {
  const merchant = source.merchantId ? await ctx.em.findOne(Merchant, { id: source.merchantId }) : null;
  const branding = merchant ? brandingOf(merchant, ctx.settings.publicApiUrl) : null;
  return {
    logoUrl: branding?.logoUrl ?? null,
    accentColor: branding?.accentColor ?? null,
    accentTextColor: branding?.accentTextColor ?? null,
    supportEmail: branding?.supportEmail ?? null,
  };
}

@Resolver(() => PublicPaymentLinkType)
export class PublicPaymentLinkBrandingResolver {
  @FieldResolver(() => PublicMerchantBrandingType)
  branding(@Root() link: PublicPaymentLinkType & WithMerchant, @Ctx() ctx: Context): Promise<PublicMerchantBrandingType> {
    return brandingFor(link, ctx);
  }
}

@Resolver(() => PublicCardSetupLinkType)
export class PublicCardSetupLinkBrandingResolver {
  @FieldResolver(() => PublicMerchantBrandingType)
  branding(@Root() link: PublicCardSetupLinkType & WithMerchant, @Ctx() ctx: Context): Promise<PublicMerchantBrandingType> {
    return brandingFor(link, ctx);
  }
}
