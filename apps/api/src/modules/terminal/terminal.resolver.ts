import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { MerchantContext } from '../merchant/index.js';
import type { TerminalService } from './terminal.service.js';
import { RegisterTerminalReaderInput, TerminalReaderType } from './terminal.types.js';

/** What these resolvers use of a request's context. */
export type Context = MerchantContext<{ terminals: TerminalService }, unknown>;

@Resolver()
export class TerminalResolver {
  @Mutation(() => TerminalReaderType)
  async registerTerminalReader(@Arg('input') input: RegisterTerminalReaderInput, @Ctx() ctx: Context): Promise<TerminalReaderType> {
    return TerminalReaderType.from(await ctx.services.terminals.register(ctx.actor, input));
  }

  @Query(() => [TerminalReaderType])
  async terminalReaders(@Ctx() ctx: Context): Promise<TerminalReaderType[]> {
    return (await ctx.services.terminals.list(ctx.actor)).map((reader) => TerminalReaderType.from(reader));
  }
}
