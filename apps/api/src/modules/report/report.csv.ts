import { parseCalendarDate, parseInstant } from '../../domain/dates.js';
import { badInput } from '../../domain/errors.js';
import { toDecimalString } from '../../domain/money.js';
import { PaymentChannel, PaymentMethodKind, TransactionKind, TransactionStatus } from '../../domain/statuses.js';
import type { Transaction } from '../payments/index.js';
import type { SettlementReport, TransactionLogFilter } from './report.service.js';

/** A request's query parameters, as express parses them. */
type QueryParameters = Record<string, unknown>;

function oneOf<T extends string>(values: Record<string, T>, raw: unknown, field: string): T | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw === 'string' && Object.values(values).includes(raw as T)) return raw as T;
  throw badInput(field, `${field} must be one of ${Object.values(values).join(', ')}`);
}

function dateTime(raw: unknown, field: string): Date | undefined {
  if (raw === undefined || raw === '') return undefined;
  const date = typeof raw === 'string' ? parseInstant(raw) : null;
  if (!date)
    throw badInput(field, `${field} must be an RFC 3339 date-time (2026-01-31T09:00:00Z) or a date (2026-01-31), years 0001 to 9999`);
  return date;
}

function bool(raw: unknown, field: string): boolean | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw badInput(field, `${field} must be true or false`);
}

/** The transaction log's filter, from query parameters named like the GraphQL TransactionFilter. */
export function transactionLogFilterFrom(query: QueryParameters): TransactionLogFilter {
  return {
    from: dateTime(query.from, 'from'),
    to: dateTime(query.to, 'to'),
    kind: oneOf(TransactionKind, query.kind, 'kind'),
    status: oneOf(TransactionStatus, query.status, 'status'),
    channel: oneOf(PaymentChannel, query.channel, 'channel'),
    method: oneOf(PaymentMethodKind, query.method, 'method'),
    customerId: typeof query.customerId === 'string' ? query.customerId : undefined,
    invoiceId: typeof query.invoiceId === 'string' ? query.invoiceId : undefined,
    requiresManualReconciliation: bool(query.requiresManualReconciliation, 'requiresManualReconciliation'),
    reconciled: bool(query.reconciled, 'reconciled'),
  };
}

/** The settlement report's range, from `from` and `to` query parameters (YYYY-MM-DD) and an optional currency. */
export function settlementRangeFrom(query: QueryParameters): { from: string; to: string; currency: string | undefined } {
  const calendarDate = (raw: unknown, field: string) => {
    const date = typeof raw === 'string' ? parseCalendarDate(raw) : null;
    if (!date) throw badInput(field, `${field} must be a date that exists, YYYY-MM-DD`);
    return date;
  };
  return {
    from: calendarDate(query.from, 'from'),
    to: calendarDate(query.to, 'to'),
    currency: typeof query.currency === 'string' ? query.currency : undefined,
  };
}

const decimal = (amount: bigint | null | undefined, currency: string) =>
  amount === null || amount === undefined ? '' : toDecimalString(amount, currency);

/** The columns of transactions.csv, and those that hold numbers (written as numbers, not neutralised as text). */
export const TRANSACTION_CSV_NUMERIC_COLUMNS = ['amount', 'fee'];
export const TRANSACTION_CSV_COLUMNS = [
  'id',
  'created_at',
  'kind',
  'status',
  'channel',
  'method',
  'amount',
  'currency',
  'fee',
  'authorization_code',
  'customer',
  'invoices',
  'refund_of',
  'settlement',
  'requires_manual_reconciliation',
  'reconciled_at',
  'reconciled_by',
  'failure_code',
  'settled_at',
  'settlement_reference',
];

/** One line of transactions.csv; the transaction comes with its customer and its allocations' invoices loaded. */
export function transactionCsvRow(t: Transaction): string[] {
  return [
    t.id,
    t.createdAt.toISOString(),
    t.kind,
    t.status,
    t.channel,
    t.method,
    decimal(t.amount, t.currency),
    t.currency,
    decimal(t.fee, t.currency),
    t.authorizationCode ?? '',
    t.customer?.name ?? '',
    t.allocations
      .getItems()
      .map((a) => a.invoice.number)
      .join(' '),
    t.refundOf?.id ?? '',
    t.settlement,
    String(t.requiresManualReconciliation),
    t.reconciledAt?.toISOString() ?? '',
    t.reconciledBy ?? '',
    t.failureCode ?? '',
    t.settledAt?.toISOString() ?? '',
    t.settlementReference ?? '',
  ];
}

export const SETTLEMENT_CSV_NUMERIC_COLUMNS = ['settled', 'pending', 'failed', 'refunded', 'disputed', 'fees', 'net', 'count'];
export const SETTLEMENT_CSV_COLUMNS = ['date', 'settled', 'pending', 'failed', 'refunded', 'disputed', 'fees', 'net', 'count', 'currency'];

/** settlement.csv's lines: one per day, then the range's totals. */
export function settlementCsvRows(report: SettlementReport): (string | number)[][] {
  const line = (date: string, totals: SettlementReport['totals']) => [
    date,
    ...[totals.settled, totals.pending, totals.failed, totals.refunded, totals.disputed, totals.fees, totals.net].map((v) =>
      decimal(v, report.currency),
    ),
    totals.count,
    report.currency,
  ];
  return [...report.days.map((day) => line(day.date, day.totals)), line('total', report.totals)];
}
