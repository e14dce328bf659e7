export { csvExport } from './csv-export.js';
export {
  SETTLEMENT_CSV_COLUMNS,
  SETTLEMENT_CSV_NUMERIC_COLUMNS,
  settlementCsvRows,
  settlementRangeFrom,
  TRANSACTION_CSV_COLUMNS,
  TRANSACTION_CSV_NUMERIC_COLUMNS,
  transactionCsvRow,
  transactionLogFilterFrom,
} from './report.csv.js';
export type { Context as ReportResolverContext } from './report.resolver.js';
export { ReportService } from './report.service.js';
