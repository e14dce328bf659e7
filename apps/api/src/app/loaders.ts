import type { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import type { InvoiceAmounts } from '../domain/invoice-amounts.js';
import { TransactionKind } from '../domain/statuses.js';
import { CreditMemo } from '../modules/credit-memo/index.js';
import { Customer } from '../modules/customer/index.js';
import { Invoice, InvoiceLine, loadInvoiceAmounts } from '../modules/invoice/index.js';
import { PaymentLink } from '../modules/payment-link/index.js';
import { Dispute, Transaction, TransactionAllocation } from '../modules/payments/index.js';

function groupBy<T>(keys: readonly string[], items: T[], keyOf: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>(keys.map((key) => [key, []]));
  for (const item of items) groups.get(keyOf(item))?.push(item);
  return keys.map((key) => groups.get(key)!);
}

/**
 * Per-request batch loaders: one statement per relation per request, however many invoices a page
 * holds. Parents are already scoped to the caller's merchant, so children are loaded by parent id.
 */
export function createLoaders(em: EntityManager) {
  return {
    customer: new DataLoader<string, Customer | null>(async (ids) => {
      const rows = await em.find(Customer, { id: { $in: [...ids] } });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    invoice: new DataLoader<string, Invoice | null>(async (ids) => {
      const rows = await em.find(Invoice, { id: { $in: [...ids] } });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    invoiceAmounts: new DataLoader<string, InvoiceAmounts>(async (ids) => {
      const amounts = await loadInvoiceAmounts(em, ids);
      return ids.map((id) => amounts.get(id) ?? new Error(`no amounts for invoice ${id}`));
    }),
    invoiceLines: new DataLoader<string, InvoiceLine[]>(async (ids) =>
      groupBy(ids, await em.find(InvoiceLine, { invoice: { $in: [...ids] } }, { orderBy: { position: 'asc' } }), (line) => line.invoice.id),
    ),
    /** Every link of each invoice, newest first. */
    invoiceLinks: new DataLoader<string, PaymentLink[]>(async (ids) =>
      groupBy(
        ids,
        await em.find(PaymentLink, { invoice: { $in: [...ids] } }, { orderBy: { createdAt: 'desc', id: 'desc' } }),
        (link) => link.invoice.id,
      ),
    ),
    invoiceTransactions: new DataLoader<string, TransactionAllocation[]>(async (ids) =>
      groupBy(
        ids,
        await em.find(
          TransactionAllocation,
          { invoice: { $in: [...ids] } },
          { populate: ['transaction'], orderBy: { transaction: { createdAt: 'asc' } } },
        ),
        (allocation) => allocation.invoice.id,
      ),
    ),
    transactionAllocations: new DataLoader<string, TransactionAllocation[]>(async (ids) =>
      groupBy(
        ids,
        await em.find(TransactionAllocation, { transaction: { $in: [...ids] } }, { populate: ['invoice'] }),
        (allocation) => allocation.transaction.id,
      ),
    ),
    refunds: new DataLoader<string, Transaction[]>(async (ids) =>
      groupBy(
        ids,
        await em.find(Transaction, { refundOf: { $in: [...ids] }, kind: TransactionKind.REFUND }, { orderBy: { createdAt: 'asc' } }),
        (refund) => refund.refundOf!.id,
      ),
    ),
    /** The disputes of each charge, oldest first. */
    disputes: new DataLoader<string, Dispute[]>(async (ids) =>
      groupBy(ids, await em.find(Dispute, { charge: { $in: [...ids] } }, { orderBy: { openedAt: 'asc', id: 'asc' } }), (d) => d.charge.id),
    ),
    creditMemos: new DataLoader<string, CreditMemo[]>(async (ids) =>
      groupBy(ids, await em.find(CreditMemo, { invoice: { $in: [...ids] } }, { orderBy: { createdAt: 'asc' } }), (memo) => memo.invoice.id),
    ),
    creditMemoRefunds: new DataLoader<string, Transaction[]>(async (ids) =>
      groupBy(
        ids,
        await em.find(Transaction, { creditMemo: { $in: [...ids] } }, { orderBy: { createdAt: 'asc', id: 'asc' } }),
        (refund) => refund.creditMemo!,
      ),
    ),
    transaction: new DataLoader<string, Transaction | null>(async (ids) => {
      const rows = await em.find(Transaction, { id: { $in: [...ids] } });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
