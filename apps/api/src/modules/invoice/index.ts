export { invoicePage } from './invoice.connection.js';
export { Invoice, InvoiceLine } from './invoice.entity.js';
export type { Context as InvoiceResolverContext } from './invoice.resolver.js';
export { InvoiceService } from './invoice.service.js';
export { InvoiceConnectionType, InvoiceLineType, InvoiceType } from './invoice.types.js';
export {
  type AmountColumns,
  amountsFromRow,
  invoiceAmountsAsIfLateral,
  invoiceAmountsLateral,
  loadInvoiceAmounts,
} from './invoice-amounts.sql.js';
export { assertTakesPayments, payableThroughLinkOrRefuse } from './invoice-eligibility.js';
export { type LockedInvoice, lockInvoiceOfLink, lockInvoices, lockInvoicesOfTransaction } from './invoice-locks.js';
