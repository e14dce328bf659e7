import { notFound } from '../../domain/errors.js';
import type { InvoiceStatus } from '../../domain/statuses.js';
import { isUuid } from '../../domain/tokens.js';
import { PreparedStatement } from '../../kit/db/prepared-statement.js';
import { pgArray, type SqlSession } from '../../kit/db/sql-session.js';

/**
 * Invoice row locks, written once for every writer of anything an invoice's amounts derive from
 * (payments, refunds, credit memos, line edits, link changes). Whoever changes those holds the
 * invoice's row lock until it commits, so a reader that takes the lock and then reads, in a later
 * statement, sees every change that came before it. (Reading in the locking statement itself would
 * not: PostgreSQL gives the rest of that statement the snapshot it started with, before the wait.)
 * Locks are taken in id order, so that two writers of the same invoices never deadlock.
 */
export interface LockedInvoice {
  id: string;
  merchantId: string;
  customerId: string;
  number: string;
  currency: string;
  status: InvoiceStatus;
  createdAt: Date;
}

interface LockedRow {
  id: string;
  merchant_id: string;
  customer_id: string;
  number: string;
  currency: string;
  status: InvoiceStatus;
  created_at: Date | string;
}

const COLUMNS = 'i.id, i.merchant_id, i.customer_id, i.number, i.currency, i.status, i.created_at';

const byIds = new PreparedStatement<LockedRow>(
  'kp_invoice_lock',
  `select ${COLUMNS} from invoice i where i.id = any(?::uuid[]) order by i.id for update of i`,
);

// Another merchant's row is never locked, not even for the moment it takes to refuse the request.
const byIdsOfMerchant = new PreparedStatement<LockedRow>(
  'kp_invoice_lock_of_merchant',
  `select ${COLUMNS} from invoice i where i.id = any(?::uuid[]) and i.merchant_id = ? order by i.id for update of i`,
);

const ofLink = new PreparedStatement<LockedRow & { link_id: string }>(
  'kp_invoice_lock_of_link',
  `select ${COLUMNS}, pl.id as link_id from payment_link pl join invoice i on i.id = pl.invoice_id where pl.token_hash = ? for update of i`,
);

// Allocations never change once written: the subquery's snapshot is as good as any.
const ofTransaction = new PreparedStatement<LockedRow>(
  'kp_invoice_lock_of_transaction',
  `select ${COLUMNS} from invoice i where i.id in (select a.invoice_id from transaction_allocation a where a.transaction_id = ?) order by i.id for update of i`,
);

function locked(row: LockedRow): LockedInvoice {
  return {
    id: row.id,
    merchantId: row.merchant_id,
    customerId: row.customer_id,
    number: row.number,
    currency: row.currency.trim(),
    status: row.status,
    createdAt: new Date(row.created_at),
  };
}

/** The merchant's invoices, locked; an unknown or foreign id is NOT_FOUND (on `field`). `merchantId` null: any merchant's (webhooks). */
export async function lockInvoices(
  sql: SqlSession,
  merchantId: string | null,
  ids: readonly string[],
  field = 'invoiceIds',
): Promise<LockedInvoice[]> {
  const unique = [...new Set(ids)];
  if (!unique.length) return [];
  if (unique.some((id) => !isUuid(id))) throw notFound('invoice', field);
  const rows = merchantId ? await sql.rows(byIdsOfMerchant, [pgArray(unique), merchantId]) : await sql.rows(byIds, [pgArray(unique)]);
  if (rows.length !== unique.length) throw notFound('invoice', field);
  return rows.map(locked);
}

/** One invoice by id, locked, whoever's it is (jobs); null when there is none. */
export async function lockInvoice(sql: SqlSession, id: string): Promise<LockedInvoice | null> {
  if (!isUuid(id)) return null;
  const [row] = await sql.rows(byIds, [pgArray([id])]);
  return row ? locked(row) : null;
}

/** The invoice a payment link was issued for, locked, and the link's id; null for a token we never issued. */
export async function lockInvoiceOfLink(sql: SqlSession, tokenHash: string): Promise<{ invoice: LockedInvoice; linkId: string } | null> {
  const [row] = await sql.rows(ofLink, [tokenHash]);
  return row ? { invoice: locked(row), linkId: row.link_id } : null;
}

const ofMerchantTransaction = new PreparedStatement<LockedRow>(
  'kp_invoice_lock_of_merchant_transaction',
  `select ${COLUMNS} from invoice i
   where i.id in (select a.invoice_id from transaction_allocation a where a.transaction_id = ?) and i.merchant_id = ?
   order by i.id for update of i`,
);

/** The invoices a transaction is allocated to, locked (none for a payment tied to no invoice); only the merchant's, when named. */
export async function lockInvoicesOfTransaction(
  sql: SqlSession,
  transactionId: string,
  merchantId: string | null = null,
): Promise<LockedInvoice[]> {
  const rows = merchantId
    ? await sql.rows(ofMerchantTransaction, [transactionId, merchantId])
    : await sql.rows(ofTransaction, [transactionId]);
  return rows.map(locked);
}
