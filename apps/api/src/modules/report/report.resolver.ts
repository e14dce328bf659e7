import { Arg, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { decodeCursor, encodeCursor, pageSize } from '../../kit/graphql/connection.js';
import type { Loader } from '../../kit/graphql/context.js';
import { DateScalar, toCalendarDate } from '../../kit/graphql/scalars.js';
import type { MerchantContext } from '../merchant/index.js';
import { Transaction, TransactionType } from '../payments/index.js';
import type { ReportService } from './report.service.js';
import {
  SettlementDayType,
  SettlementReportType,
  SettlementTotalsType,
  TransactionConnectionType,
  TransactionFilter,
  TransactionTotalsType,
} from './report.types.js';

/** What these resolvers use of a request's context. */
export type Context = MerchantContext<{ reports: ReportService }, { transaction: Loader<Transaction | null> }>;

@Resolver(() => TransactionConnectionType)
export class TransactionLogResolver {
  @Query(() => TransactionConnectionType, { description: 'The transaction log report: newest first, keyset-paginated.' })
  async transactions(
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
    @Arg('filter', () => TransactionFilter, { nullable: true }) filter?: TransactionFilter,
  ): Promise<TransactionConnectionType> {
    const size = pageSize(first, 50, 500);
    const { rows, hasNextPage } = await ctx.services.reports.transactionPage(
      ctx.actor,
      filter ?? {},
      size,
      after ? decodeCursor(after) : undefined,
    );
    const edges = rows.map((row) => ({ cursor: encodeCursor(row), node: TransactionType.fromView(row) }));
    return Object.assign(new TransactionConnectionType(), {
      edges,
      pageInfo: { hasNextPage, endCursor: edges.at(-1)?.cursor ?? null },
      filter: filter ?? {},
    });
  }

  @FieldResolver(() => TransactionTotalsType, {
    description:
      "Totals over every transaction the filter matches (not just this page): the count of all of them, the sums of those in the filter's currency.",
  })
  async totals(@Root() connection: TransactionConnectionType, @Ctx() ctx: Context): Promise<TransactionTotalsType> {
    return TransactionTotalsType.from(await ctx.services.reports.transactionTotals(ctx.actor, connection.filter));
  }

  @FieldResolver(() => [TransactionTotalsType], {
    description:
      "The same totals for each currency the matching transactions are in, by currency code (the filter's currency is not applied here).",
  })
  async totalsByCurrency(@Root() connection: TransactionConnectionType, @Ctx() ctx: Context): Promise<TransactionTotalsType[]> {
    return (await ctx.services.reports.transactionTotalsByCurrency(ctx.actor, connection.filter)).map((totals) =>
      TransactionTotalsType.from(totals),
    );
  }
}

@Resolver(() => SettlementDayType)
export class SettlementReportResolver {
  @Query(() => SettlementReportType, { description: 'Whether each payment went through, per settlement day (at most 366 days).' })
  async settlementReport(
    @Arg('from', () => DateScalar) from: Date,
    @Arg('to', () => DateScalar) to: Date,
    @Ctx() ctx: Context,
    @Arg('currency', () => String, { nullable: true, description: 'Default USD.' }) currency?: string,
  ): Promise<SettlementReportType> {
    const report = await ctx.services.reports.settlementReport(ctx.actor, toCalendarDate(from)!, toCalendarDate(to)!, currency);
    return {
      from: report.from,
      to: report.to,
      currency: report.currency,
      days: report.days.map((day) =>
        Object.assign(new SettlementDayType(), {
          date: day.date,
          totals: SettlementTotalsType.from(day.totals, report.currency),
          transactionIds: day.transactionIds,
        }),
      ),
      totals: SettlementTotalsType.from(report.totals, report.currency),
    };
  }

  @FieldResolver(() => [TransactionType])
  async transactions(@Root() day: SettlementDayType, @Ctx() ctx: Context): Promise<TransactionType[]> {
    const rows = await ctx.loaders.transaction.loadMany(day.transactionIds);
    return rows.filter((row): row is Transaction => row instanceof Transaction).map((row) => TransactionType.from(row));
  }
}
