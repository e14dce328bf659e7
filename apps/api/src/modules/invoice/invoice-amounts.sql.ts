import type { EntityManager } from '@mikro-orm/postgresql';
import { deriveAmounts, type InvoiceAmounts } from '../../domain/invoice-amounts.js';

/**
 * The allocation's transaction, read by primary key. `offset 0` keeps the subquery from being
 * flattened into a join, so the planner cannot start from every transaction of a status and probe
 * the allocations (it did, with statistics that had not caught up, and every link lookup grew with
 * the merchant's whole history). Driven by the invoice's allocations, the work is bounded by them.
 */
const transactionByPrimaryKey = (columns: string) => `select ${columns} from "transaction" t where t.id = a.transaction_id offset 0`;

/**
 * A transaction's status as the amounts count it: its own, or, in a statement that starts with
 * `with as_if (id, status) as (...)`, the status an outcome being recorded is about to give it.
 * That lets the outcome read the invoice's amounts as they will be, in the statement that reads the
 * transaction, rather than in a second one after writing it.
 */
const countedStatus = (alias: string, asIf: boolean) =>
  asIf ? `coalesce((select x.status from as_if x where x.id = ${alias}.id), ${alias}.status)` : `${alias}.status`;

/**
 * The one SQL that derives invoice amounts (DESIGN.md 1b), as a LATERAL subquery over `i` (an
 * invoice row). Every reader of amounts (GraphQL loaders, locked service reads, the public link
 * page, the payments engine) goes through it.
 */
function amountsLateral(asIf: boolean): string {
  const status = countedStatus('t', asIf);
  const chargeStatus = countedStatus('c', asIf);
  return `
  cross join lateral (
    select
      coalesce((select sum(l.quantity * l.unit_amount) from invoice_line l where l.invoice_id = i.id), 0)::text as total,
      -- Refunds count only against charges that still stand: once a debit is returned, the money
      -- it brought is gone already, and a refund paid out on it cannot take it away a second time.
      coalesce((
        select sum(case when t.kind = 'CHARGE' then a.amount else -a.amount end)
        from transaction_allocation a
        cross join lateral (${transactionByPrimaryKey('t.id, t.kind, t.status, t.refund_of_id')}) t
        where a.invoice_id = i.id and ${status} = 'SUCCEEDED'
          and (t.kind = 'CHARGE' or (select ${chargeStatus} from "transaction" c where c.id = t.refund_of_id) = 'SUCCEEDED')
      ), 0)::text as paid,
      unsettled.in_flight,
      unsettled.awaiting_action,
      coalesce((select sum(c.amount) from credit_memo c where c.invoice_id = i.id), 0)::text as credited
    from (
      -- Charges not yet answered: on their way (PENDING, PROCESSING), or waiting for their customer.
      select coalesce(sum(a.amount) filter (where ${status} in ('PENDING', 'PROCESSING')), 0)::text as in_flight,
             coalesce(sum(a.amount) filter (where ${status} = 'REQUIRES_ACTION'), 0)::text as awaiting_action
      from transaction_allocation a
      cross join lateral (${transactionByPrimaryKey('t.id, t.kind, t.status')}) t
      where a.invoice_id = i.id and t.kind = 'CHARGE' and ${status} in ('PENDING', 'PROCESSING', 'REQUIRES_ACTION')
    ) unsettled
  ) amounts`;
}

export const invoiceAmountsLateral = amountsLateral(false);

/** The same, counting the transactions of the statement's `as_if (id, status)` with the status given there. */
export const invoiceAmountsAsIfLateral = amountsLateral(true);

export interface AmountColumns {
  total: string;
  paid: string;
  in_flight: string;
  awaiting_action: string;
  credited: string;
}

export function amountsFromRow(row: AmountColumns): InvoiceAmounts {
  return deriveAmounts({
    total: BigInt(row.total),
    paid: BigInt(row.paid),
    credited: BigInt(row.credited),
    inFlight: BigInt(row.in_flight),
    awaitingAction: BigInt(row.awaiting_action),
  });
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
