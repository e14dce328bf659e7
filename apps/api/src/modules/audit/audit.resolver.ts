import { Arg, Ctx, Directive, Int, Query, Resolver } from 'type-graphql';
import { pageSize } from '../../kit/graphql/connection.js';
import type { MerchantContext } from '../merchant/index.js';
import { AuditEntryConnectionType } from './audit.types.js';
import { auditLogPage } from './audit-log.query.js';

/** What these resolvers use of a request's context: its unit of work and who is calling. */
export type Context = MerchantContext<unknown, unknown>;

@Resolver()
export class AuditResolver {
  @Query(() => AuditEntryConnectionType, {
    description: 'Newest first. `action`: one action (vault.card.added) or a family ending in a dot (supervisor.).',
  })
  @Directive('@supervisor')
  async auditLog(
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
    @Arg('action', () => String, { nullable: true }) action?: string,
  ): Promise<AuditEntryConnectionType> {
    const { rows, hasNextPage } = await auditLogPage(ctx.em, ctx.actor.merchantId, { first: pageSize(first), after, action });
    const edges = rows.map(({ cursor, ...node }) => ({ cursor, node }));
    return { edges, pageInfo: { hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
  }
}
