import type { EntityManager } from '@mikro-orm/postgresql';
import { type InvoiceAmounts, deriveAmounts } from '../../domain/invoice-amounts.js';

/**
 * The allocation's transaction, read by primary key. `offset 0` keeps the subquery from being
 * flattened into a join, so the planner cannot start from every transaction of a status and probe
 * the allocations (it did, with statistics that had not caught up, and every link lookup grew with
 * the merchant's whole history). Driven by the invoice's allocations, the work is bounded by them.
 */
const transactionByPrimaryKey = (columns: string) => `select ${columns} from "transaction" t where t.id = a.transaction_id offset 0`;

/**
 * The one SQL that derives invoice amounts (DESIGN.md 1b), as a LATERAL subquery over `i` (an
 * invoice row). Every reader of amounts (GraphQL loaders, locked service reads, the public link
 * page) goes through it.
 */
export const invoiceAmountsLateral = `
  cross join lateral (
    select
      coalesce((select sum(l.quantity * l.unit_amount) from invoice_line l where l.invoice_id = i.id), 0)::text as total,
      -- Refunds count only against charges that still stand: once a debit is returned, the money
      -- it brought is gone already, and a refund paid out on it cannot take it away a second time.
      coalesce((
        select sum(case when t.kind = 'CHARGE' then a.amount else -a.amount end)
        from transaction_allocation a
        cross join lateral (${transactionByPrimaryKey('t.kind, t.status, t.refund_of_id')}) t
        where a.invoice_id = i.id and t.status = 'SUCCEEDED'
          and (t.kind = 'CHARGE' or (select c.status from "transaction" c where c.id = t.refund_of_id) = 'SUCCEEDED')
      ), 0)::text as paid,
      coalesce((
        select sum(a.amount)
        from transaction_allocation a
        cross join lateral (${transactionByPrimaryKey('t.kind, t.status')}) t
        where a.invoice_id = i.id and t.kind = 'CHARGE' and t.status in ('PENDING', 'PROCESSING')
      ), 0)::text as in_flight,
      coalesce((select sum(c.amount) from credit_memo c where c.invoice_id = i.id), 0)::text as credited
  ) amounts`;

export interface AmountColumns {
  total: string;
  paid: string;
  in_flight: string;
  credited: string;
}

export function amountsFromRow(row: AmountColumns): InvoiceAmounts {
  return deriveAmounts({ total: BigInt(row.total), paid: BigInt(row.paid), credited: BigInt(row.credited), inFlight: BigInt(row.in_flight) });
}

/** Amounts of many invoices in one statement, keyed by invoice id. */
export async function loadInvoiceAmounts(em: EntityManager, invoiceIds: readonly string[]): Promise<Map<string, InvoiceAmounts>> {
  if (!invoiceIds.length) return new Map();
  const rows = await em.execute<(AmountColumns & { id: string })[]>(
    `select i.id, amounts.* from invoice i ${invoiceAmountsLateral} where i.id in (?)`,
    [invoiceIds],
  );
  return new Map(rows.map((row) => [row.id, amountsFromRow(row)]));
}
