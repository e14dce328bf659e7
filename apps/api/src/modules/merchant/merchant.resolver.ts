import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { MerchantContext } from '../../graphql/context.js';
import { MerchantType, SupervisorSessionType } from './merchant.types.js';

@Resolver(() => MerchantType)
export class MerchantResolver {
  @Query(() => MerchantType, { description: 'The merchant the API key belongs to.' })
  async merchant(@Ctx() ctx: MerchantContext): Promise<MerchantType> {
    const merchant = await ctx.services.merchants.current(ctx.actor);
    return { id: merchant.id, name: merchant.name };
  }

  @Mutation(() => SupervisorSessionType, {
    description: 'Returns a short-lived supervisor token; wrong passwords are rate-limited and audited.',
  })
  async elevateSupervisor(@Arg('password') password: string, @Ctx() ctx: MerchantContext): Promise<SupervisorSessionType> {
    return ctx.services.supervisor.elevate(ctx.actor, password);
  }
}
