import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput } from '../../domain/errors.js';
import { assertCurrency } from '../../domain/money.js';
import { PaymentChannel, PaymentMethodKind, SettlementState, TransactionKind, TransactionStatus } from '../../domain/statuses.js';
import { isUuid } from '../../domain/tokens.js';
import type { Keyset } from '../../kit/graphql/connection.js';
import type { MerchantActor } from '../merchant/index.js';
import {
  TRANSACTION_VIEW_COLUMNS,
  Transaction,
  type TransactionView,
  type TransactionViewRow,
  transactionView,
} from '../payments/index.js';

export interface TransactionLogFilter {
  from?: Date | null;
  to?: Date | null;
  kind?: TransactionKind | null;
  status?: TransactionStatus | null;
  channel?: PaymentChannel | null;
  method?: PaymentMethodKind | null;
  customerId?: string | null;
  invoiceId?: string | null;
  requiresManualReconciliation?: boolean | null;
  reconciled?: boolean | null;
  /** Totals are for one currency (default USD); rows of every currency are listed. */
  currency?: string | null;
}

export interface TransactionTotals {
  count: number;
  charged: bigint;
  refunded: bigint;
  /** Lost disputes: money that went back to cardholders. */
  disputed: bigint;
  /** Of `fees`, the processors' dispute fees. */
  disputeFees: bigint;
  fees: bigint;
  currency: string;
}

export interface SettlementTotals {
  settled: bigint;
  pending: bigint;
  failed: bigint;
  refunded: bigint;
  /** Disputed money the processor withdrew: open disputes (for now) and lost ones (for good); won ones came back. */
  disputed: bigint;
  /** Fees of the settled payments and of the disputes. */
  fees: bigint;
  net: bigint;
  count: number;
}

export interface SettlementDay {
  date: string;
  totals: SettlementTotals;
  transactionIds: string[];
}

export interface SettlementReport {
  from: string;
  to: string;
  currency: string;
  days: SettlementDay[];
  totals: SettlementTotals;
}

const MAX_REPORT_DAYS = 366;

interface TotalsRow {
  count: string;
  charged: string;
  refunded: string;
  disputed: string;
  dispute_fees: string;
  fees: string;
}

/** Succeeded charges, succeeded refunds, lost disputes and fees of the rows in `scope` (it is repeated once per sum). */
const totalSums = (scope: string) => `
  coalesce(sum(t.amount) filter (where t.kind = 'CHARGE' and t.status = 'SUCCEEDED' and ${scope}), 0)::text as charged,
  coalesce(sum(t.amount) filter (where t.kind = 'REFUND' and t.status = 'SUCCEEDED' and ${scope}), 0)::text as refunded,
  coalesce(sum(t.amount) filter (where t.kind = 'DISPUTE' and t.status = 'SUCCEEDED' and ${scope}), 0)::text as disputed,
  coalesce(sum(t.fee) filter (where t.kind = 'DISPUTE' and ${scope}), 0)::text as dispute_fees,
  coalesce(sum(t.fee) filter (where ${scope}), 0)::text as fees`;

const toTotals = (row: TotalsRow, currency: string): TransactionTotals => ({
  count: Number(row.count),
  charged: BigInt(row.charged),
  refunded: BigInt(row.refunded),
  disputed: BigInt(row.disputed),
  disputeFees: BigInt(row.dispute_fees),
  fees: BigInt(row.fees),
  currency,
});

/** The WHERE clause of the transaction log, shared by the page, the totals and the CSV export. */
function logConditions(merchantId: string, filter: TransactionLogFilter): { sql: string; params: unknown[] } {
  const conditions = ['t.merchant_id = ?'];
  const params: unknown[] = [merchantId];
  const equal = (column: string, value: unknown) => {
    if (value === null || value === undefined) return;
    conditions.push(`t.${column} = ?`);
    params.push(value);
  };
  if (filter.from && filter.to && filter.from > filter.to) throw badInput('filter.to', 'to must not be before from');
  if (filter.from) {
    conditions.push('t.created_at >= ?');
    params.push(filter.from);
  }
  if (filter.to) {
    conditions.push('t.created_at < ?');
    params.push(filter.to);
  }
  equal('kind', filter.kind);
  equal('status', filter.status);
  equal('channel', filter.channel);
  equal('method', filter.method);
  equal('requires_manual_reconciliation', filter.requiresManualReconciliation);
  if (filter.customerId !== null && filter.customerId !== undefined) {
    conditions.push(isUuid(filter.customerId) ? 't.customer_id = ?' : 'false');
    if (isUuid(filter.customerId)) params.push(filter.customerId);
  }
  if (filter.invoiceId !== null && filter.invoiceId !== undefined) {
    conditions.push(
      isUuid(filter.invoiceId)
        ? 'exists (select 1 from transaction_allocation a where a.transaction_id = t.id and a.invoice_id = ?)'
        : 'false',
    );
    if (isUuid(filter.invoiceId)) params.push(filter.invoiceId);
  }
  if (filter.reconciled !== null && filter.reconciled !== undefined)
    conditions.push(`t.reconciled_at is ${filter.reconciled ? 'not ' : ''}null`);
  return { sql: conditions.join(' and '), params };
}

/**
 * The transaction log (the seeds' transaction log report, where refunds and virtual-terminal
 * payments are reconciled) and the settlement report. Pages are keyset-paginated on
 * (created_at, id) over the (merchant_id, created_at, id) index, so page 1,000 costs what page 1 does.
 */
export class ReportService {
  constructor(private readonly em: EntityManager) {}

  /** One statement: the page's rows as views (a read path; nothing here is changed, so nothing is hydrated). */
  async transactionPage(
    actor: MerchantActor,
    filter: TransactionLogFilter,
    first: number,
    after?: Keyset,
  ): Promise<{ rows: TransactionView[]; hasNextPage: boolean }> {
    const { sql, params } = logConditions(actor.merchantId, filter);
    const keyset = after ? ' and (t.created_at, t.id) < (?, ?)' : '';
    const rows = await this.em.execute<TransactionViewRow[]>(
      `select ${TRANSACTION_VIEW_COLUMNS} from "transaction" t where ${sql}${keyset} order by t.created_at desc, t.id desc limit ?`,
      [...params, ...(after ? [after.createdAt, after.id] : []), first + 1],
    );
    return { rows: rows.slice(0, first).map(transactionView), hasNextPage: rows.length > first };
  }

  /** The count is of every matching row; the sums are of the rows in `filter.currency` (default USD). */
  async transactionTotals(actor: MerchantActor, filter: TransactionLogFilter): Promise<TransactionTotals> {
    const currency = assertCurrency(filter.currency ?? 'USD');
    const { sql, params } = logConditions(actor.merchantId, filter);
    const [row] = await this.em.execute<TotalsRow[]>(
      `select count(*)::text as count, ${totalSums('t.currency = ?')} from "transaction" t where ${sql}`,
      [currency, currency, currency, currency, currency, ...params],
    );
    return toTotals(row, currency);
  }

  /** One entry per currency the matching rows are in (whatever `filter.currency` says), by currency code. */
  async transactionTotalsByCurrency(actor: MerchantActor, filter: TransactionLogFilter): Promise<TransactionTotals[]> {
    const { sql, params } = logConditions(actor.merchantId, filter);
    const rows = await this.em.execute<(TotalsRow & { currency: string })[]>(
      `select t.currency, count(*)::text as count, ${totalSums('true')} from "transaction" t where ${sql} group by t.currency order by t.currency`,
      params,
    );
    return rows.map((row) => toTotals(row, row.currency));
  }

  /** Every matching transaction, newest first, in keyset batches: a million rows at a steady memory. */
  async *exportTransactions(actor: MerchantActor, filter: TransactionLogFilter, batchSize = 1000): AsyncGenerator<Transaction[]> {
    let after: Keyset | undefined;
    for (;;) {
      const em = this.em.fork();
      const ids = await this.pageIds(actor.merchantId, filter, batchSize, after, em);
      if (!ids.length) return;
      const rows = await em.find(
        Transaction,
        { id: { $in: ids } },
        { populate: ['allocations.invoice', 'customer'], orderBy: { createdAt: 'desc', id: 'desc' } },
      );
      yield rows;
      if (ids.length < batchSize) return;
      const last = rows.at(-1)!;
      after = { createdAt: last.createdAt, id: last.id };
    }
  }

  /**
   * Per settlement day, whether each processed payment went through: SETTLED, PENDING, FAILED or
   * RETURNED, with gross, refunds, disputes, fees, net and counts. A dispute's day is the day it opened. A payment's day is the day it settled, or
   * failed or was returned, or (still pending) the day it was made. Offline payments are not here:
   * no processor settles them.
   */
  async settlementReport(actor: MerchantActor, from: string, to: string, currencyCode?: string | null): Promise<SettlementReport> {
    const currency = assertCurrency(currencyCode ?? 'USD');
    const start = new Date(`${from}T00:00:00Z`);
    const end = new Date(`${to}T00:00:00Z`);
    if (end < start) throw badInput('to', 'to must not be before from');
    if ((end.getTime() - start.getTime()) / 86_400_000 + 1 > MAX_REPORT_DAYS)
      throw badInput('to', `A report covers at most ${MAX_REPORT_DAYS} days`);
    const rows = await this.em.execute<
      {
        id: string;
        day: string;
        kind: TransactionKind;
        status: TransactionStatus;
        settlement: SettlementState;
        amount: string;
        fee: string | null;
      }[]
    >(
      `select t.id, to_char(s.day, 'YYYY-MM-DD') as day, t.kind, t.status, t.settlement, t.amount::text as amount, t.fee::text as fee
       from "transaction" t
       cross join lateral (select (coalesce(t.settled_at, case when t.settlement in ('FAILED', 'RETURNED') then t.updated_at else t.created_at end) at time zone 'UTC')::date as day) s
       where t.merchant_id = ? and t.currency = ? and t.channel <> 'OFFLINE' and (t.status <> 'PENDING' or t.kind = 'DISPUTE')
         and s.day >= ?::date and s.day <= ?::date
       order by s.day, t.created_at, t.id`,
      [actor.merchantId, currency, from, to],
    );
    const empty = (): SettlementTotals => ({
      settled: 0n,
      pending: 0n,
      failed: 0n,
      refunded: 0n,
      disputed: 0n,
      fees: 0n,
      net: 0n,
      count: 0,
    });
    const add = (totals: SettlementTotals, row: (typeof rows)[number]) => {
      const amount = BigInt(row.amount);
      if (row.kind === TransactionKind.DISPUTE) {
        // Withdrawn while open (PENDING) and for good when lost (SUCCEEDED); a won dispute's money came back (CANCELED). The fee stays taken.
        if (row.status === TransactionStatus.PENDING || row.status === TransactionStatus.SUCCEEDED) totals.disputed += amount;
        totals.fees += BigInt(row.fee ?? '0');
      } else if (row.kind === TransactionKind.REFUND) {
        if (row.status === TransactionStatus.SUCCEEDED) totals.refunded += amount;
      } else {
        totals.count += 1;
        if (row.settlement === SettlementState.SETTLED) {
          totals.settled += amount;
          totals.fees += BigInt(row.fee ?? '0');
        } else if (row.settlement === SettlementState.PENDING) totals.pending += amount;
        else totals.failed += amount;
      }
      totals.net = totals.settled - totals.refunded - totals.disputed - totals.fees;
    };
    const days = new Map<string, SettlementDay>();
    const grand = empty();
    for (const row of rows) {
      const day = days.get(row.day) ?? { date: row.day, totals: empty(), transactionIds: [] };
      days.set(row.day, day);
      add(day.totals, row);
      add(grand, row);
      day.transactionIds.push(row.id);
    }
    return { from, to, currency, days: [...days.values()], totals: grand };
  }

  private async pageIds(merchantId: string, filter: TransactionLogFilter, limit: number, after?: Keyset, em = this.em): Promise<string[]> {
    const { sql, params } = logConditions(merchantId, filter);
    const keyset = after ? ' and (t.created_at, t.id) < (?, ?)' : '';
    const rows = await em.execute<{ id: string }[]>(
      `select t.id from "transaction" t where ${sql}${keyset} order by t.created_at desc, t.id desc limit ?`,
      [...params, ...(after ? [after.createdAt, after.id] : []), limit],
    );
    return rows.map((row) => row.id);
  }
}
