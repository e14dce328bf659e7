import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import express, { type Request, type Response, type Router } from 'express';
import { DomainError, ErrorCode, badInput } from '../domain/errors.js';
import { toDecimalString } from '../domain/money.js';
import { PaymentChannel, PaymentMethodKind, TransactionKind, TransactionStatus } from '../domain/statuses.js';
import type { MerchantActor } from '../modules/merchant/actor.js';
import type { TransactionLogFilter } from '../modules/report/report.service.js';
import type { Services } from '../services.js';

type ServicesFor = (req: Request) => Services;

function oneOf<T extends string>(values: Record<string, T>, raw: unknown, field: string): T | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw === 'string' && Object.values(values).includes(raw as T)) return raw as T;
  throw badInput(field, `${field} must be one of ${Object.values(values).join(', ')}`);
}

function dateTime(raw: unknown, field: string): Date | undefined {
  if (raw === undefined || raw === '') return undefined;
  const date = new Date(String(raw));
  if (Number.isNaN(date.getTime())) throw badInput(field, `${field} must be an ISO 8601 date-time`);
  return date;
}

function bool(raw: unknown, field: string): boolean | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw badInput(field, `${field} must be true or false`);
}

/** The transaction log's filter, from query parameters named like the GraphQL TransactionFilter. */
function filterFrom(query: Request['query']): TransactionLogFilter {
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

const decimal = (amount: bigint | null | undefined, currency: string) => (amount === null || amount === undefined ? '' : toDecimalString(amount, currency));

/**
 * CSV exports of the reports, authenticated by the API key like the GraphQL API:
 * GET /reports/transactions.csv?from=&to=&kind=&status=&channel=&method=&customerId=&invoiceId=&requiresManualReconciliation=&reconciled=
 * GET /reports/settlement.csv?from=YYYY-MM-DD&to=YYYY-MM-DD[&currency=USD]
 * Rows are streamed in keyset batches, so a million rows export at a steady memory.
 */
export function reportRouter(servicesFor: ServicesFor): Router {
  const router = express.Router();

  const authenticated = (handler: (req: Request, res: Response, actor: MerchantActor, services: Services) => Promise<void>) =>
    async (req: Request, res: Response) => {
      const services = servicesFor(req);
      const key = /^Bearer\s+(\S+)$/i.exec(req.header('authorization') ?? '')?.[1];
      const actor = key ? await services.apiKeys.authenticate(key) : null;
      if (!actor) return void res.status(401).json({ error: { code: ErrorCode.UNAUTHENTICATED, message: 'Send your API key as `Authorization: Bearer <key>`' } });
      try {
        await handler(req, res, actor, services);
      } catch (error) {
        if (!(error instanceof DomainError) || res.headersSent) throw error;
        res.status(400).json({ error: { code: error.code, message: error.message, ...error.details } });
      }
    };

  router.get('/reports/transactions.csv', authenticated(async (req, res, actor, services) => {
    const filter = filterFrom(req.query);
    const batches = services.reports.exportTransactions(actor, filter);
    const first = await batches.next();
    res.setHeader('content-type', 'text/csv; charset=utf-8');
    res.setHeader('content-disposition', 'attachment; filename="transactions.csv"');
    const csv = stringify({
      header: true,
      columns: ['id', 'created_at', 'kind', 'status', 'channel', 'method', 'amount', 'currency', 'fee', 'authorization_code', 'customer', 'invoices', 'refund_of', 'settlement', 'requires_manual_reconciliation', 'reconciled_at', 'reconciled_by', 'failure_code', 'settled_at', 'settlement_reference'],
    });
    const writing = pipeline(csv, res);
    const rows = async function* () {
      if (!first.done) yield first.value;
      yield* batches;
    };
    for await (const batch of rows()) {
      for (const t of batch) {
        const row = [
          t.id, t.createdAt.toISOString(), t.kind, t.status, t.channel, t.method, decimal(t.amount, t.currency), t.currency, decimal(t.fee, t.currency),
          t.authorizationCode ?? '', t.customer?.name ?? '', t.allocations.getItems().map((a) => a.invoice.number).join(' '), t.refundOf?.id ?? '',
          t.settlement, String(t.requiresManualReconciliation), t.reconciledAt?.toISOString() ?? '', t.reconciledBy ?? '', t.failureCode ?? '',
          t.settledAt?.toISOString() ?? '', t.settlementReference ?? '',
        ];
        if (!csv.write(row)) await once(csv, 'drain');
      }
    }
    csv.end();
    await writing;
  }));

  router.get('/reports/settlement.csv', authenticated(async (req, res, actor, services) => {
    const calendarDate = (raw: unknown, field: string) => {
      if (typeof raw !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(raw)) throw badInput(field, `${field} must be a date, YYYY-MM-DD`);
      return raw;
    };
    const report = await services.reports.settlementReport(actor, calendarDate(req.query.from, 'from'), calendarDate(req.query.to, 'to'), typeof req.query.currency === 'string' ? req.query.currency : undefined);
    res.setHeader('content-type', 'text/csv; charset=utf-8');
    res.setHeader('content-disposition', 'attachment; filename="settlement.csv"');
    const csv = stringify({ header: true, columns: ['date', 'settled', 'pending', 'failed', 'refunded', 'fees', 'net', 'count', 'currency'] });
    const writing = pipeline(csv, res);
    const line = (date: string, totals: (typeof report)['totals']) => [date, ...[totals.settled, totals.pending, totals.failed, totals.refunded, totals.fees, totals.net].map((v) => decimal(v, report.currency)), totals.count, report.currency];
    for (const day of report.days) csv.write(line(day.date, day.totals));
    csv.write(line('total', report.totals));
    csv.end();
    await writing;
  }));

  return router;
}
