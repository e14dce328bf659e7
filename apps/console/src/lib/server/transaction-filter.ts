import type { PaymentChannel, PaymentMethodKind, TransactionFilter, TransactionKind, TransactionStatus } from '@kometpay/schema/merchant';
import { addDays, startOfDay } from '$lib/format';

const KINDS: TransactionKind[] = ['CHARGE', 'REFUND', 'DISPUTE'];
const STATUSES: TransactionStatus[] = ['PENDING', 'PROCESSING', 'SUCCEEDED', 'FAILED', 'CANCELED', 'RETURNED'];
const CHANNELS: PaymentChannel[] = ['PAYMENT_LINK', 'MANUAL_ENTRY', 'TERMINAL', 'VIRTUAL_TERMINAL', 'VAULT', 'OFFLINE'];
const METHODS: PaymentMethodKind[] = ['CREDIT_CARD', 'DEBIT_CARD', 'PREPAID_CARD', 'ACH', 'CHECK', 'CASH', 'OTHER'];
export const FILTER_CHOICES = { kind: KINDS, status: STATUSES, channel: CHANNELS, method: METHODS };

/** The transaction log's filter as the page's query string has it (dates as days in the console's time zone). */
export interface LogQuery {
  from: string;
  to: string;
  kind: string;
  status: string;
  channel: string;
  method: string;
  reconciliation: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const oneOf = <T extends string>(values: T[], raw: string | null): T | undefined => values.find((value) => value === raw);

export function logQueryOf(url: URL): LogQuery {
  const get = (name: string) => url.searchParams.get(name) ?? '';
  return {
    from: DATE.test(get('from')) ? get('from') : '',
    to: DATE.test(get('to')) ? get('to') : '',
    kind: oneOf(KINDS, get('kind')) ?? '',
    status: oneOf(STATUSES, get('status')) ?? '',
    channel: oneOf(CHANNELS, get('channel')) ?? '',
    method: oneOf(METHODS, get('method')) ?? '',
    reconciliation: ['to-reconcile', 'reconciled', 'automatic'].includes(get('reconciliation')) ? get('reconciliation') : '',
  };
}

/** The API's filter: "to" includes its whole day. */
export function filterOf(query: LogQuery, timeZone: string): TransactionFilter {
  const filter: TransactionFilter = {};
  if (query.from) filter.from = startOfDay(query.from, timeZone);
  if (query.to) filter.to = startOfDay(addDays(query.to, 1), timeZone);
  if (query.kind) filter.kind = query.kind as TransactionKind;
  if (query.status) filter.status = query.status as TransactionStatus;
  if (query.channel) filter.channel = query.channel as PaymentChannel;
  if (query.method) filter.method = query.method as PaymentMethodKind;
  if (query.reconciliation === 'to-reconcile') Object.assign(filter, { requiresManualReconciliation: true, reconciled: false });
  if (query.reconciliation === 'reconciled') filter.reconciled = true;
  if (query.reconciliation === 'automatic') filter.requiresManualReconciliation = false;
  return filter;
}

/** The same filter as the API's CSV export reads it (GET /reports/transactions.csv). */
export function csvParametersOf(filter: TransactionFilter): URLSearchParams {
  const parameters = new URLSearchParams();
  for (const [name, value] of Object.entries(filter)) if (value !== undefined && value !== null) parameters.set(name, String(value));
  return parameters;
}
