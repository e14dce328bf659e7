import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import express, { type Request, type Response, type Router } from 'express';
import { DomainError, ErrorCode } from '../../domain/errors.js';
import type { MerchantActor } from '../../modules/merchant/index.js';
import {
  csvExport,
  SETTLEMENT_CSV_COLUMNS,
  SETTLEMENT_CSV_NUMERIC_COLUMNS,
  settlementCsvRows,
  settlementRangeFrom,
  TRANSACTION_CSV_COLUMNS,
  TRANSACTION_CSV_NUMERIC_COLUMNS,
  transactionCsvRow,
  transactionLogFilterFrom,
} from '../../modules/report/index.js';
import type { Services } from '../services.js';
import { authenticateCaller } from './authentication.js';

type ServicesFor = (req: Request) => Services;

/**
 * CSV exports of the reports, authenticated by an API key or staff session like the GraphQL API:
 * GET /reports/transactions.csv?from=&to=&kind=&status=&channel=&method=&customerId=&invoiceId=&requiresManualReconciliation=&reconciled=
 * GET /reports/settlement.csv?from=YYYY-MM-DD&to=YYYY-MM-DD[&currency=USD]
 * Rows are streamed in keyset batches, so a million rows export at a steady memory.
 */
export function reportRouter(servicesFor: ServicesFor): Router {
  const router = express.Router();

  const authenticated =
    (handler: (req: Request, res: Response, actor: MerchantActor, services: Services) => Promise<void>) =>
    async (req: Request, res: Response) => {
      const services = servicesFor(req);
      const key = /^Bearer\s+(\S+)$/i.exec(req.header('authorization') ?? '')?.[1];
      const caller = await authenticateCaller(key, services);
      const actor = caller?.kind === 'merchant' ? caller.actor : null;
      if (!actor) throw new DomainError(ErrorCode.UNAUTHENTICATED, 'Send your API key or staff session as `Authorization: Bearer <key>`');
      // Errors (a coded DomainError included) go to the app's one JSON error handler (error-handler.ts).
      await handler(req, res, actor, services);
    };

  router.get(
    '/reports/transactions.csv',
    authenticated(async (req, res, actor, services) => {
      const filter = transactionLogFilterFrom(req.query);
      const batches = services.reports.exportTransactions(actor, filter);
      const first = await batches.next();
      res.setHeader('content-type', 'text/csv; charset=utf-8');
      res.setHeader('content-disposition', 'attachment; filename="transactions.csv"');
      const csv = csvExport(TRANSACTION_CSV_COLUMNS, TRANSACTION_CSV_NUMERIC_COLUMNS);
      const writing = pipeline(csv, res);
      const rows = async function* () {
        if (!first.done) yield first.value;
        yield* batches;
      };
      for await (const batch of rows()) {
        for (const transaction of batch) {
          if (!csv.write(transactionCsvRow(transaction))) await once(csv, 'drain');
        }
      }
      csv.end();
      await writing;
    }),
  );

  router.get(
    '/reports/settlement.csv',
    authenticated(async (req, res, actor, services) => {
      const { from, to, currency } = settlementRangeFrom(req.query);
      const report = await services.reports.settlementReport(actor, from, to, currency);
      res.setHeader('content-type', 'text/csv; charset=utf-8');
      res.setHeader('content-disposition', 'attachment; filename="settlement.csv"');
      const csv = csvExport(SETTLEMENT_CSV_COLUMNS, SETTLEMENT_CSV_NUMERIC_COLUMNS);
      const writing = pipeline(csv, res);
      for (const row of settlementCsvRows(report)) csv.write(row);
      csv.end();
      await writing;
    }),
  );

  return router;
}
