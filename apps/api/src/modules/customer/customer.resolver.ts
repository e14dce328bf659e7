import { Arg, Ctx, Directive, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { pageSize } from '../../kit/graphql/connection.js';
import type { Loader } from '../../kit/graphql/context.js';
import { InvoiceConnectionType, invoicePage } from '../invoice/index.js';
import type { MerchantContext } from '../merchant/index.js';
import { VaultedCardType, type VaultService } from '../vault/index.js';
import type { Customer } from './customer.entity.js';
import type { CustomerService } from './customer.service.js';
import { CreateCustomerInput, CustomerConnectionType, CustomerType, UpdateCustomerInput } from './customer.types.js';

/** What these resolvers use of a request's context. */
export type Context = MerchantContext<{ customers: CustomerService; vault: VaultService }, { customer: Loader<Customer | null> }>;

@Resolver(() => CustomerType)
export class CustomerResolver {
  @Query(() => CustomerType, { nullable: true })
  async customer(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<CustomerType | null> {
    const customer = await ctx.services.customers.find(ctx.actor, id);
    return customer && CustomerType.from(customer);
  }

  @Query(() => CustomerConnectionType, {
    description:
      'Alphabetical; `search` looks in the name, email and external reference (case-insensitive). Archived customers only with includeArchived.',
  })
  async customers(
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
    @Arg('search', () => String, { nullable: true }) search?: string,
    @Arg('includeArchived', () => Boolean, { nullable: true }) includeArchived?: boolean,
  ): Promise<CustomerConnectionType> {
    const page = await ctx.services.customers.list(ctx.actor, { first: pageSize(first), after, search, includeArchived });
    const edges = page.customers.map(({ customer, cursor }) => ({ cursor, node: CustomerType.from(customer) }));
    return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor } };
  }

  @Mutation(() => CustomerType, { description: 'Corrects a customer: only the fields given change.' })
  async updateCustomer(
    @Arg('id', () => ID) id: string,
    @Arg('input') input: UpdateCustomerInput,
    @Ctx() ctx: Context,
  ): Promise<CustomerType> {
    return CustomerType.from(await ctx.services.customers.update(ctx.actor, id, input));
  }

  @Mutation(() => CustomerType, { description: 'No new invoices for an archived customer (CUSTOMER_ARCHIVED); its history stays.' })
  async archiveCustomer(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<CustomerType> {
    return CustomerType.from(await ctx.services.customers.archive(ctx.actor, id));
  }

  @Mutation(() => CustomerType, { description: 'Undoes archiveCustomer.' })
  async restoreCustomer(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<CustomerType> {
    return CustomerType.from(await ctx.services.customers.restore(ctx.actor, id));
  }

  @Mutation(() => CustomerType)
  async createCustomer(@Arg('input') input: CreateCustomerInput, @Ctx() ctx: Context): Promise<CustomerType> {
    return CustomerType.from(await ctx.services.customers.create(ctx.actor, input));
  }

  @FieldResolver(() => InvoiceConnectionType, { description: "The customer's invoices, newest first." })
  invoices(
    @Root() customer: CustomerType,
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<InvoiceConnectionType> {
    return invoicePage(ctx, { first, after, customerId: customer.id });
  }

  @FieldResolver(() => [VaultedCardType], { description: "The customer's saved cards. Needs a supervisor elevation." })
  @Directive('@supervisor')
  async vaultedCards(@Root() customer: CustomerType, @Ctx() ctx: Context): Promise<VaultedCardType[]> {
    const cards = await ctx.services.vault.listCards(ctx.actor, customer.id);
    return cards.map((card) => VaultedCardType.from(card, ctx.clock.now()));
  }
}
