import { Arg, Ctx, Directive, ID, Mutation, Resolver } from 'type-graphql';
import type { MerchantContext } from '../merchant/index.js';
import type { VaultService } from './vault.service.js';
import { CardSetupLinkType, VaultedCardType } from './vault.types.js';

/** What these resolvers use of a request's context. */
export type Context = MerchantContext<{ vault: VaultService }, unknown>;

/** The KPVault tab: every operation here needs a supervisor elevation (the @supervisor directive). */
@Resolver()
export class VaultResolver {
  @Mutation(() => VaultedCardType, { description: "'Add New CC': saves a tokenised card in the customer's vault." })
  @Directive('@supervisor')
  async addVaultedCard(
    @Arg('customerId', () => ID) customerId: string,
    @Arg('paymentMethodToken') paymentMethodToken: string,
    @Ctx() ctx: Context,
  ): Promise<VaultedCardType> {
    return VaultedCardType.from(await ctx.services.vault.addCard(ctx.actor, customerId, paymentMethodToken), ctx.clock.now());
  }

  @Mutation(() => Boolean, { description: 'Detaches the card at the processor; it can no longer be charged.' })
  @Directive('@supervisor')
  async deleteVaultedCard(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<boolean> {
    await ctx.services.vault.deleteCard(ctx.actor, id);
    return true;
  }

  @Mutation(() => CardSetupLinkType, { description: "'Send New CC Link': emails the customer a link to add their own card." })
  @Directive('@supervisor')
  async sendCardSetupLink(@Arg('customerId', () => ID) customerId: string, @Ctx() ctx: Context): Promise<CardSetupLinkType> {
    const { link, url } = await ctx.services.vault.sendCardSetupLink(ctx.actor, customerId);
    return { id: link.id, url, expiresAt: link.expiresAt };
  }
}
