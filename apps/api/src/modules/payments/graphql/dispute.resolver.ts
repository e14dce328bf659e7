import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { DisputeStatus } from '../../../domain/statuses.js';
import { pageSize } from '../../../kit/graphql/connection.js';
import type { Loader } from '../../../kit/graphql/context.js';
import type { MerchantContext } from '../../merchant/index.js';
import type { DisputesService } from '../disputes/disputes.service.js';
import type { Transaction } from '../ledger/transaction.entity.js';
import { DisputeConnectionType, DisputeEvidenceInput, DisputeType } from './dispute.types.js';
import { TransactionType } from './transaction.types.js';

/** What these resolvers use of a request's context. */
export type Context = MerchantContext<{ disputes: DisputesService }, { transaction: Loader<Transaction | null> }>;

@Resolver(() => DisputeType)
export class DisputeResolver {
  @Query(() => DisputeConnectionType, { description: "The merchant's disputes, newest first; `status` keeps one status only." })
  async disputes(
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
    @Arg('status', () => DisputeStatus, { nullable: true }) status?: DisputeStatus,
  ): Promise<DisputeConnectionType> {
    const { rows, hasNextPage } = await ctx.services.disputes.page(ctx.actor, { first: pageSize(first), after, status });
    const edges = rows.map((row) => ({ cursor: row.cursor, node: DisputeType.fromRecord(row) }));
    return { edges, pageInfo: { hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  @Mutation(() => DisputeType, {
    description:
      'Sends text evidence for a dispute to the processor. An unknown or foreign dispute answers NOT_FOUND; a decided one (or one under review already) DISPUTE_CLOSED.',
  })
  async submitDisputeEvidence(
    @Arg('disputeId', () => ID) disputeId: string,
    @Arg('input', () => DisputeEvidenceInput) input: DisputeEvidenceInput,
    @Ctx() ctx: Context,
  ): Promise<DisputeType> {
    const dispute = await ctx.services.disputes.submitEvidence(ctx.actor, disputeId, {
      explanation: input.explanation,
      customerCommunication: input.customerCommunication ?? null,
      receipt: input.receipt ?? null,
      submit: input.submit ?? true,
    });
    return DisputeType.fromRecord(dispute);
  }

  @FieldResolver(() => TransactionType, { description: 'The disputed charge.' })
  async transaction(@Root() dispute: DisputeType, @Ctx() ctx: Context): Promise<TransactionType> {
    return TransactionType.from((await ctx.loaders.transaction.load(dispute.chargeId))!);
  }
}
