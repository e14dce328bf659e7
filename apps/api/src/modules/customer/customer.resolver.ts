import { Arg, Ctx, Directive, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { MerchantContext } from '../../graphql/context.js';
import { invoicePage } from '../invoice/invoice.resolver.js';
import { InvoiceConnectionType } from '../invoice/invoice.types.js';
import { VaultedCardType } from '../vault/vault.types.js';
import { CreateCustomerInput, CustomerType } from './customer.types.js';

@Resolver(() => CustomerType)
export class CustomerResolver {
  @Query(() => CustomerType, { nullable: true })
  async customer(@Arg('id', () => ID) id: string, @Ctx() ctx: MerchantContext): Promise<CustomerType | null> {
    const customer = await ctx.services.customers.find(ctx.actor, id);
    return customer && CustomerType.from(customer);
  }

  @Mutation(() => CustomerType)
  async createCustomer(@Arg('input') input: CreateCustomerInput, @Ctx() ctx: MerchantContext): Promise<CustomerType> {
    return CustomerType.from(await ctx.services.customers.create(ctx.actor, input));
  }

  @FieldResolver(() => InvoiceConnectionType, { description: "The customer's invoices, newest first." })
  invoices(
    @Root() customer: CustomerType,
    @Ctx() ctx: MerchantContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<InvoiceConnectionType> {
    return invoicePage(ctx, { first, after, customerId: customer.id });
  }

  @FieldResolver(() => [VaultedCardType], { description: "The customer's saved cards. Needs a supervisor elevation." })
  @Directive('@supervisor')
  async vaultedCards(@Root() customer: CustomerType, @Ctx() ctx: MerchantContext): Promise<VaultedCardType[]> {
    const cards = await ctx.services.vault.listCards(ctx.actor, customer.id);
    return cards.map((card) => VaultedCardType.from(card, ctx.clock.now()));
  }
}
