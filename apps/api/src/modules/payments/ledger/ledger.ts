import { deriveAmounts, type InvoiceAmounts } from '../../../domain/invoice-amounts.js';
import type {
  InvoiceStatus,
  PaymentChannel,
  PaymentLinkStatus,
  PaymentMethodKind,
  SettlementState,
  TransactionKind,
  TransactionStatus,
} from '../../../domain/statuses.js';
import { PreparedStatement } from '../../../kit/db/prepared-statement.js';
import { pgArray, type SqlSession } from '../../../kit/db/sql-session.js';
import type { JobName } from '../../../kit/jobs/queue.js';
import type { NextAction } from '../../../processors/processor.port.js';
import {
  CLAIM_SQL,
  type ClaimRequest,
  type ClaimRow,
  COMPLETE_CLAIM_SQL,
  claimParams,
  completeClaimParams,
} from '../../idempotency/index.js';
import { invoiceAmountsAsIfLateral, invoiceAmountsLateral } from '../../invoice/index.js';
import { type DomainEvent, insertOutboxRowsSql, outboxRow } from '../../outbox/index.js';
import { TRANSACTION_VIEW_COLUMNS, type TransactionView, type TransactionViewRow, transactionView } from './transaction.view.js';

/**
 * The ledger: the one writer of `transaction` and `transaction_allocation` rows. Every way money
 * moves (the payments engine's attempts and outcomes, offline payments, settlement, reconciliation)
 * writes through these statements, each of which also writes the outbox events of its changes.
 * The statements run in whatever SqlSession the caller holds: the engine's own pg transaction on
 * the hot path, or an EntityManager's transaction elsewhere.
 */

export type AchMandate = { type: 'online'; ipAddress: string; userAgent: string } | { type: 'offline' };

/** A transaction with everything the engine needs to drive it (the API's view plus the processor's references). */
export interface LedgerTransaction extends TransactionView {
  merchantId: string;
  processorReference: string | null;
  paymentMethodReference: string | null;
  processorCustomerReference: string | null;
  terminalReader: string | null;
  achMandate: AchMandate | null;
  description: string | null;
  creditMemoId: string | null;
  /** The key the attempt was recorded under (unique per merchant): a retry of the request finds it again. */
  transactionKey: string;
  /** What the customer must do, while the attempt is REQUIRES_ACTION. */
  nextAction: NextAction | null;
}

const LEDGER_COLUMNS = `${TRANSACTION_VIEW_COLUMNS}, t.merchant_id, t.processor_reference, t.payment_method_reference,
  t.processor_customer_reference, t.terminal_reader, t.ach_mandate, t.description, t.credit_memo, t.idempotency_key, t.next_action`;

interface LedgerRow extends TransactionViewRow {
  merchant_id: string;
  processor_reference: string | null;
  payment_method_reference: string | null;
  processor_customer_reference: string | null;
  terminal_reader: string | null;
  ach_mandate: AchMandate | null;
  description: string | null;
  credit_memo: string | null;
  idempotency_key: string;
  next_action: NextAction | null;
}

function ledgerTransaction(row: LedgerRow): LedgerTransaction {
  return {
    ...transactionView(row),
    merchantId: row.merchant_id,
    processorReference: row.processor_reference,
    paymentMethodReference: row.payment_method_reference,
    processorCustomerReference: row.processor_customer_reference,
    terminalReader: row.terminal_reader,
    achMandate: row.ach_mandate,
    description: row.description,
    creditMemoId: row.credit_memo,
    transactionKey: row.idempotency_key,
    nextAction: row.next_action,
  };
}

export interface Allocation {
  invoiceId: string;
  amount: bigint;
}

/** A transaction to record (an attempt PENDING, or an offline payment already SUCCEEDED). */
export interface NewTransaction {
  id: string;
  merchantId: string;
  customerId: string | null;
  kind: TransactionKind;
  status: TransactionStatus;
  channel: PaymentChannel;
  method: PaymentMethodKind;
  amount: bigint;
  currency: string;
  transactionKey: string;
  requiresManualReconciliation: boolean;
  settlement: SettlementState;
  settledAt?: Date | null;
  fee?: bigint | null;
  authorizationCode?: string | null;
  paymentMethodReference?: string | null;
  processorCustomerReference?: string | null;
  terminalReader?: string | null;
  achMandate?: AchMandate | null;
  cardBrand?: string | null;
  cardLast4?: string | null;
  description?: string | null;
  refundOfId?: string | null;
  creditMemoId?: string | null;
  allocations: Allocation[];
}

/** What an outcome changes on a transaction: the new value of every field an outcome may set. */
export interface TransactionChange {
  id: string;
  status: TransactionStatus;
  processorReference: string | null;
  method: PaymentMethodKind;
  cardBrand: string | null;
  cardLast4: string | null;
  authorizationCode: string | null;
  fee: bigint | null;
  failureCode: string | null;
  failureMessage: string | null;
  settlement: SettlementState;
  settledAt: Date | null;
  nextAction: NextAction | null;
}

export interface QueuedJob {
  name: JobName;
  payload: Record<string, unknown>;
  maxAttempts: number;
  /** Graphile's job key: a second job with the same key replaces a pending one. */
  jobKey?: string;
}

export interface InvoiceFacts {
  id: string;
  status: InvoiceStatus;
  number: string;
  /** The invoice row's version: every change to what its amounts derive from bumps it. */
  version: number;
  amounts: InvoiceAmounts;
}

interface AmountsJson {
  id: string;
  status: InvoiceStatus;
  number: string;
  version: number;
  total: string;
  paid: string;
  inFlight: string;
  awaitingAction: string;
  credited: string;
}

const invoiceFacts = (row: AmountsJson): InvoiceFacts => ({
  id: row.id,
  status: row.status,
  number: row.number,
  version: row.version,
  amounts: deriveAmounts({
    total: BigInt(row.total),
    paid: BigInt(row.paid),
    inFlight: BigInt(row.inFlight),
    awaitingAction: BigInt(row.awaitingAction),
    credited: BigInt(row.credited),
  }),
});

const AMOUNTS_JSON = `json_build_object('id', i.id, 'status', i.status, 'number', i.number, 'version', i.version, 'total', amounts.total, 'paid', amounts.paid,
  'inFlight', amounts.in_flight, 'awaitingAction', amounts.awaiting_action, 'credited', amounts.credited)`;

const CLAIM_JSON = `json_build_object('state', k.state, 'requestHash', k.request_hash, 'response', k.response, 'createdAt', k.created_at)`;

interface ClaimJson {
  state: ClaimRow['state'];
  requestHash: string;
  response: ClaimRow['response'];
  createdAt: string;
}

const claimRow = (json: ClaimJson | null): ClaimRow | null =>
  json && { state: json.state, requestHash: json.requestHash, response: json.response, createdAt: new Date(json.createdAt) };

// ---- the statements --------------------------------------------------------------------------

/** Phase 1's read, after the invoices' locks: their amounts, the link paid through, the key, the attempt a retry left. */
const chargeBeginRead = new PreparedStatement<{
  invoices: AmountsJson[] | null;
  link: { status: PaymentLinkStatus; expiresAt: string; newerLinkSent: boolean } | null;
  claim: ClaimJson | null;
  existing: LedgerRow | null;
  customer_id: string | null;
  awaiting_action: string[] | null;
}>(
  'kp_ledger_charge_begin_read',
  `select
     (select json_agg(${AMOUNTS_JSON}) from invoice i ${invoiceAmountsLateral} where i.id = any(?::uuid[])) as invoices,
     (select json_build_object('status', pl.status, 'expiresAt', pl.expires_at, 'newerLinkSent',
        exists (select 1 from payment_link newer where newer.invoice_id = pl.invoice_id and newer.created_at > pl.created_at))
      from payment_link pl where pl.id = ?::uuid) as link,
     (select ${CLAIM_JSON} from idempotency_key k where k.scope = ? and k.key = ?) as claim,
     (select row_to_json(x) from (select ${LEDGER_COLUMNS} from "transaction" t where t.merchant_id = ?::uuid and t.idempotency_key = ?) x) as existing,
     (select c.id from customer c where c.id = ?::uuid and c.merchant_id = ?::uuid) as customer_id,
     (select array_agg(distinct a.transaction_id) from transaction_allocation a join "transaction" t on t.id = a.transaction_id
        where a.invoice_id = any(?::uuid[]) and t.status = 'REQUIRES_ACTION') as awaiting_action`,
);

const NEW_TRANSACTION_COLUMNS = `id uuid, merchant_id uuid, customer_id uuid, kind text, status text, channel text, method text, amount bigint,
  currency text, fee bigint, authorization_code text, idempotency_key text, payment_method_reference text, processor_customer_reference text,
  terminal_reader text, ach_mandate jsonb, card_brand text, card_last4 text, description text, refund_of_id uuid, credit_memo uuid,
  requires_manual_reconciliation boolean, settlement text, settled_at timestamptz`;

/** New transactions from a JSON array (params: created_at, updated_at, the rows); the caller adds its guard and `returning id`. */
const INSERT_TRANSACTIONS = `insert into "transaction" (id, merchant_id, customer_id, kind, status, channel, method, amount, currency, fee,
       authorization_code, idempotency_key, payment_method_reference, processor_customer_reference, terminal_reader, ach_mandate, card_brand,
       card_last4, description, refund_of_id, credit_memo, requires_manual_reconciliation, settlement, settled_at, version, created_at, updated_at)
     select r.id, r.merchant_id, r.customer_id, r.kind, r.status, r.channel, r.method, r.amount, r.currency, r.fee, r.authorization_code,
       r.idempotency_key, r.payment_method_reference, r.processor_customer_reference, r.terminal_reader, r.ach_mandate, r.card_brand,
       r.card_last4, r.description, r.refund_of_id, r.credit_memo, r.requires_manual_reconciliation, r.settlement, r.settled_at, 1, ?::timestamptz, ?::timestamptz
     from jsonb_to_recordset(?::jsonb) as r(${NEW_TRANSACTION_COLUMNS})`;

/** Allocations of the transactions a `txn` CTE inserted (param: the allocations as a JSON array). */
const INSERT_ALLOCATIONS = `insert into transaction_allocation (id, transaction_id, invoice_id, amount)
     select gen_random_uuid(), a.transaction_id, a.invoice_id, a.amount
     from jsonb_to_recordset(?::jsonb) as a(transaction_id uuid, invoice_id uuid, amount bigint)
     where a.transaction_id in (select id from txn)`;

/**
 * Phase 1's write, in one statement: the request's idempotency claim, and only if it was won, the
 * transactions, their allocations and their events. A lost claim (a concurrent request with the same
 * key committed first) writes nothing: the caller replays that request's outcome.
 */
const insertAttemptsStatement = new PreparedStatement<{ claimed: number; inserted: number }>(
  'kp_ledger_insert_attempts',
  `with claim as (${CLAIM_SQL}),
   txn as (
     ${INSERT_TRANSACTIONS}
     where exists (select 1 from claim)
     returning id
   ),
   allocation as (${INSERT_ALLOCATIONS}),
   event as (${insertOutboxRowsSql('exists (select 1 from claim)')})
   select (select count(*) from claim)::int as claimed, (select count(*) from txn)::int as inserted`,
);

/**
 * Phase 3's read: the transaction (locked), its allocations, and its invoices (with their versions)
 * and their amounts as they will be once it has the status the outcome gives it (`as_if`). Nothing
 * here locks the invoices: the write that follows updates each of them only at the version read
 * here, and every change to what amounts derive from bumps that version, so an outcome that raced
 * another writer of the same invoice finds out and runs again (optimistic versioning).
 */
const outcomeRead = new PreparedStatement<
  LedgerRow & { allocations: { invoiceId: string; amount: string }[] | null; invoices: AmountsJson[] | null; charge: LedgerRow | null }
>(
  'kp_ledger_outcome_read',
  `with as_if (id, status) as (select ?::uuid, ?::text)
   select ${LEDGER_COLUMNS},
     (select json_agg(json_build_object('invoiceId', a.invoice_id, 'amount', a.amount::text) order by a.invoice_id)
        from transaction_allocation a where a.transaction_id = t.id) as allocations,
     (select json_agg(${AMOUNTS_JSON} order by i.id) from invoice i ${invoiceAmountsAsIfLateral}
        where i.id in (select a.invoice_id from transaction_allocation a where a.transaction_id = t.id)) as invoices,
     (select row_to_json(x) from (select ${LEDGER_COLUMNS} from "transaction" t where t.id = refund_of.id) x) as charge
   from "transaction" t cross join lateral (select t.refund_of_id as id) refund_of
   where t.id = ?
   for update of t`,
);

/** Amounts of invoices as they will be once `as_if`'s transaction has that status (when the first guess was off). */
const amountsAsIf = new PreparedStatement<{ invoices: AmountsJson[] | null }>(
  'kp_ledger_amounts_as_if',
  `with as_if (id, status) as (select ?::uuid, ?::text)
   select json_agg(${AMOUNTS_JSON} order by i.id) as invoices from invoice i ${invoiceAmountsAsIfLateral} where i.id = any(?::uuid[])`,
);

/**
 * Phase 3's write, in one statement: the transactions' new state, the invoices' statuses, the events, the key's outcome, the jobs.
 * The planner guesses 100 rows for any jsonb_to_recordset; joined directly, that guess makes a small
 * table's update a sequential scan, and the generic plan keeps it while the table grows. The ids as
 * an array (`= any(array(...))`) make each update an index lookup whatever the table's size.
 */
const recordChangesStatement = new PreparedStatement<{ updated: number; invoices: number; jobs: number }>(
  'kp_ledger_record_changes',
  `with changed as materialized (
     select * from jsonb_to_recordset(?::jsonb) as c(id uuid, status text, processor_reference text, method text, card_brand text, card_last4 text,
       authorization_code text, fee bigint, failure_code text, failure_message text, settlement text, settled_at timestamptz, next_action jsonb)
   ),
   change as (
     update "transaction" t set status = c.status, processor_reference = c.processor_reference, method = c.method, card_brand = c.card_brand,
       card_last4 = c.card_last4, authorization_code = c.authorization_code, fee = c.fee, failure_code = c.failure_code,
       failure_message = c.failure_message, settlement = c.settlement, settled_at = c.settled_at, next_action = c.next_action,
       version = t.version + 1, updated_at = ?::timestamptz
     from changed c
     where t.id = c.id and t.id = any(array(select id from changed))
     returning t.id
   ),
   statuses as materialized (select * from jsonb_to_recordset(?::jsonb) as s(id uuid, status text, version int)),
   invoice_status as (
     update invoice i set status = s.status, version = i.version + 1, updated_at = ?::timestamptz
     from statuses s
     where i.id = s.id and i.version = s.version and i.id = any(array(select id from statuses))
     returning i.id
   ),
   event as (${insertOutboxRowsSql()}),
   claim as (${COMPLETE_CLAIM_SQL}),
   job as (
     select graphile_worker.add_job(j.name, j.payload, max_attempts => j.max_attempts, job_key => j.job_key)
     from jsonb_to_recordset(?::jsonb) as j(name text, payload json, max_attempts int, job_key text)
   )
   select (select count(*) from change)::int as updated, (select count(*) from invoice_status)::int as invoices, (select count(*) from job)::int as jobs`,
);

const viewsByIds = new PreparedStatement<TransactionViewRow>(
  'kp_ledger_views',
  `select ${TRANSACTION_VIEW_COLUMNS} from "transaction" t where t.id = any(?::uuid[])`,
);

const ledgerByIds = new PreparedStatement<LedgerRow>(
  'kp_ledger_rows',
  `select ${LEDGER_COLUMNS} from "transaction" t where t.id = any(?::uuid[]) order by t.created_at, t.id`,
);

const ledgerByReference = new PreparedStatement<LedgerRow>(
  'kp_ledger_by_reference',
  `select ${LEDGER_COLUMNS} from "transaction" t where t.processor_reference = ? and t.kind = ?`,
);

/** Transactions about to be refunded, locked in id order (after their invoices'), the merchant's only. */
const lockChargesStatement = new PreparedStatement<{ id: string }>(
  'kp_ledger_lock_charges',
  `select t.id from "transaction" t where t.id = any(?::uuid[]) and t.merchant_id = ? order by t.id for update of t`,
);

/** Every charge allocated to an invoice, locked in id order (after the invoice's lock): what a credit memo's refund may draw on. */
const lockInvoiceChargesStatement = new PreparedStatement<{ id: string }>(
  'kp_ledger_lock_invoice_charges',
  `select t.id from "transaction" t
   where t.id in (select a.transaction_id from transaction_allocation a where a.invoice_id = ?) and t.kind = 'CHARGE'
   order by t.id for update of t`,
);

/** A refund's phase 1 read, after the locks: the charges, their allocations, every refund of them, the invoices' amounts, the key, an earlier try. */
const refundBeginRead = new PreparedStatement<{
  charges: (LedgerRow & { allocations: { invoiceId: string; amount: string }[] | null })[] | null;
  refunds: RefundJson[] | null;
  invoices: AmountsJson[] | null;
  claim: ClaimJson | null;
  existing: LedgerRow[] | null;
}>(
  'kp_ledger_refund_begin_read',
  `select
     (select json_agg(row_to_json(x)) from (
        select ${LEDGER_COLUMNS}, (select json_agg(json_build_object('invoiceId', a.invoice_id, 'amount', a.amount::text) order by a.invoice_id)
          from transaction_allocation a where a.transaction_id = t.id) as allocations
        from "transaction" t where t.id = any(?::uuid[])) x) as charges,
     (select json_agg(json_build_object('id', r.id, 'kind', r.kind, 'refundOf', r.refund_of_id, 'status', r.status, 'amount', r.amount::text, 'creditMemo', r.credit_memo,
        'allocations', (select json_agg(json_build_object('invoiceId', ra.invoice_id, 'amount', ra.amount::text)) from transaction_allocation ra where ra.transaction_id = r.id)))
        from "transaction" r where r.refund_of_id = any(?::uuid[])) as refunds,
     (select json_agg(${AMOUNTS_JSON}) from invoice i ${invoiceAmountsLateral} where i.id = any(?::uuid[])) as invoices,
     (select ${CLAIM_JSON} from idempotency_key k where k.scope = ? and k.key = ?) as claim,
     (select json_agg(row_to_json(x)) from (select ${LEDGER_COLUMNS} from "transaction" t where t.merchant_id = ?::uuid and t.idempotency_key = any(?::text[])) x) as existing`,
);

interface RefundJson {
  id: string;
  kind: TransactionKind;
  refundOf: string;
  status: TransactionStatus;
  amount: string;
  creditMemo: string | null;
  allocations: { invoiceId: string; amount: string }[] | null;
}

/** The key's row, before a request does any work of its own. */
const claimRead = new PreparedStatement<{ claim: ClaimJson | null }>(
  'kp_ledger_claim',
  `select (select ${CLAIM_JSON} from idempotency_key k where k.scope = ? and k.key = ?) as claim`,
);

/** The same for a merchant's request, with the merchant's processor account (which account, whether it takes charges) at no cost. */
const merchantClaimRead = new PreparedStatement<{ claim: ClaimJson | null; account: LinkAccount | null }>(
  'kp_ledger_merchant_claim',
  `select (select ${CLAIM_JSON} from idempotency_key k where k.scope = ? and k.key = ?) as claim,
     (select json_build_object('reference', pa.reference, 'status', pa.status, 'chargesEnabled', pa.charges_enabled)
      from processor_account pa where pa.merchant_id = ?::uuid) as account`,
);

/** The same for the pay page, whose keys are scoped to the link: the link's id comes with it (none for an unknown token). */
const linkClaimRead = new PreparedStatement<{
  link_id: string;
  merchant_id: string;
  claim: ClaimJson | null;
  account: LinkAccount | null;
}>(
  'kp_ledger_link_claim',
  `select pl.id as link_id, pl.merchant_id, (select ${CLAIM_JSON} from idempotency_key k where k.scope = 'link:' || pl.id and k.key = ?) as claim,
     (select json_build_object('reference', pa.reference, 'status', pa.status, 'chargesEnabled', pa.charges_enabled)
      from processor_account pa where pa.merchant_id = pl.merchant_id) as account
   from payment_link pl where pl.token_hash = ?`,
);

/** The merchant's processor account, read with the link: which account the payment goes to, and whether it can take it. */
export interface LinkAccount {
  reference: string;
  status: 'PENDING_ONBOARDING' | 'RESTRICTED' | 'ACTIVE' | 'DISABLED';
  chargesEnabled: boolean;
}

/** A link's payment attempt, found by the link's token: the link exists (link_id) and the attempt is one of its invoice's. */
const linkAttemptRead = new PreparedStatement<{ link_id: string; attempt: LedgerRow | null }>(
  'kp_ledger_link_attempt',
  `select pl.id as link_id, (select row_to_json(x) from (
       select ${LEDGER_COLUMNS} from "transaction" t join transaction_allocation a on a.transaction_id = t.id
       where a.invoice_id = pl.invoice_id and t.id = ?::uuid and t.channel = 'PAYMENT_LINK' and t.kind = 'CHARGE') x) as attempt
   from payment_link pl where pl.token_hash = ?`,
);

const awaitingOnInvoice = new PreparedStatement<{ id: string }>(
  'kp_ledger_awaiting_on_invoice',
  `select t.id from transaction_allocation a join "transaction" t on t.id = a.transaction_id where a.invoice_id = ? and t.status = 'REQUIRES_ACTION'`,
);

// ---- the API ----------------------------------------------------------------------------------

const json = (value: unknown) => JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? v.toString() : v));

export async function readClaim(sql: SqlSession, scope: string, key: string): Promise<ClaimRow | null> {
  const [row] = await sql.rows(claimRead, [scope, key]);
  return claimRow(row.claim);
}

export async function readMerchantClaim(
  sql: SqlSession,
  merchantId: string,
  scope: string,
  key: string,
): Promise<{ claim: ClaimRow | null; account: LinkAccount | null }> {
  const [row] = await sql.rows(merchantClaimRead, [scope, key, merchantId]);
  return { claim: claimRow(row.claim), account: row.account };
}

export async function readLinkClaim(
  sql: SqlSession,
  tokenHash: string,
  key: string,
): Promise<{ linkId: string; merchantId: string; claim: ClaimRow | null; account: LinkAccount | null } | null> {
  const [row] = await sql.rows(linkClaimRead, [key, tokenHash]);
  return row ? { linkId: row.link_id, merchantId: row.merchant_id, claim: claimRow(row.claim), account: row.account } : null;
}

/** The attempt `transactionId` of a payment link (null: no such link; attempt null: not one of its invoice's attempts). */
export async function readLinkAttempt(
  sql: SqlSession,
  tokenHash: string,
  transactionId: string,
): Promise<{ attempt: LedgerTransaction | null } | null> {
  const [row] = await sql.rows(linkAttemptRead, [transactionId, tokenHash]);
  return row ? { attempt: row.attempt && ledgerTransaction(row.attempt) } : null;
}

export interface ChargeBeginFacts {
  invoices: Map<string, InvoiceFacts>;
  link: { status: PaymentLinkStatus; expiresAt: Date; newerLinkSent: boolean } | null;
  claim: ClaimRow | null;
  /** The attempt an earlier try of this request recorded (its claim released after an unknown outcome). */
  existing: LedgerTransaction | null;
  /** Set when the customer asked about is the merchant's. */
  customerId: string | null;
  /** Attempts on these invoices that wait for their customer's action: none may capture once another starts. */
  awaitingAction: string[];
}

export async function readChargeBegin(
  sql: SqlSession,
  query: {
    invoiceIds: readonly string[];
    linkId: string | null;
    claim: ClaimRequest;
    merchantId: string;
    transactionKey: string;
    customerId: string | null;
  },
): Promise<ChargeBeginFacts> {
  const [row] = await sql.rows(chargeBeginRead, [
    pgArray(query.invoiceIds),
    query.linkId,
    query.claim.scope,
    query.claim.key,
    query.merchantId,
    query.transactionKey,
    query.customerId,
    query.merchantId,
    pgArray(query.invoiceIds),
  ]);
  return {
    invoices: new Map((row.invoices ?? []).map((invoice) => [invoice.id, invoiceFacts(invoice)])),
    link: row.link && { status: row.link.status, expiresAt: new Date(row.link.expiresAt), newerLinkSent: row.link.newerLinkSent },
    claim: claimRow(row.claim),
    existing: row.existing && ledgerTransaction(row.existing),
    customerId: row.customer_id,
    awaitingAction: row.awaiting_action ?? [],
  };
}

/** A charge's refund, as a refund's phase 1 weighs it. */
export interface RefundFacts {
  id: string;
  refundOfId: string;
  status: TransactionStatus;
  amount: bigint;
  creditMemoId: string | null;
  allocations: Allocation[];
}

export interface RefundBeginFacts {
  /** Each charge with its refunds and its disputes (DISPUTE transactions: PENDING while open, SUCCEEDED when lost). */
  charges: Map<string, { charge: LedgerTransaction; allocations: Allocation[]; refunds: RefundFacts[]; disputes: RefundFacts[] }>;
  invoices: Map<string, InvoiceFacts>;
  claim: ClaimRow | null;
  existing: LedgerTransaction[];
}

const allocationsOf = (rows: { invoiceId: string; amount: string }[] | null): Allocation[] =>
  (rows ?? []).map((a) => ({ invoiceId: a.invoiceId, amount: BigInt(a.amount) }));

/** Locks the merchant's transactions to refund in id order (after their invoices'); answers the ids found. */
export async function lockCharges(sql: SqlSession, merchantId: string, ids: readonly string[]): Promise<string[]> {
  return (await sql.rows(lockChargesStatement, [pgArray(ids), merchantId])).map((row) => row.id);
}

/** Locks every charge allocated to the invoice (lock the invoice first); answers their ids. */
export async function lockInvoiceCharges(sql: SqlSession, invoiceId: string): Promise<string[]> {
  return (await sql.rows(lockInvoiceChargesStatement, [invoiceId])).map((row) => row.id);
}

export async function readRefundBegin(
  sql: SqlSession,
  query: {
    chargeIds: readonly string[];
    invoiceIds: readonly string[];
    claim: ClaimRequest;
    merchantId: string;
    transactionKeys: readonly string[];
  },
): Promise<RefundBeginFacts> {
  const [row] = await sql.rows(refundBeginRead, [
    pgArray(query.chargeIds),
    pgArray(query.chargeIds),
    pgArray(query.invoiceIds),
    query.claim.scope,
    query.claim.key,
    query.merchantId,
    pgArray(query.transactionKeys),
  ]);
  const reversals = (row.refunds ?? []).map((r) => ({
    kind: r.kind,
    id: r.id,
    refundOfId: r.refundOf,
    status: r.status,
    amount: BigInt(r.amount),
    creditMemoId: r.creditMemo,
    allocations: allocationsOf(r.allocations),
  }));
  return {
    charges: new Map(
      (row.charges ?? []).map((c) => [
        c.id,
        {
          charge: ledgerTransaction(c),
          allocations: allocationsOf(c.allocations),
          refunds: reversals.filter((r) => r.refundOfId === c.id && r.kind === 'REFUND').map(({ kind: _, ...r }) => r),
          disputes: reversals.filter((r) => r.refundOfId === c.id && r.kind === 'DISPUTE').map(({ kind: _, ...r }) => r),
        },
      ]),
    ),
    invoices: new Map((row.invoices ?? []).map((invoice) => [invoice.id, invoiceFacts(invoice)])),
    claim: claimRow(row.claim),
    existing: (row.existing ?? []).map(ledgerTransaction),
  };
}

function newTransactionRow(t: NewTransaction) {
  return {
    id: t.id,
    merchant_id: t.merchantId,
    customer_id: t.customerId,
    kind: t.kind,
    status: t.status,
    channel: t.channel,
    method: t.method,
    amount: t.amount,
    currency: t.currency,
    fee: t.fee ?? null,
    authorization_code: t.authorizationCode ?? null,
    idempotency_key: t.transactionKey,
    payment_method_reference: t.paymentMethodReference ?? null,
    processor_customer_reference: t.processorCustomerReference ?? null,
    terminal_reader: t.terminalReader ?? null,
    ach_mandate: t.achMandate ?? null,
    card_brand: t.cardBrand ?? null,
    card_last4: t.cardLast4 ?? null,
    description: t.description ?? null,
    refund_of_id: t.refundOfId ?? null,
    credit_memo: t.creditMemoId ?? null,
    requires_manual_reconciliation: t.requiresManualReconciliation,
    settlement: t.settlement,
    settled_at: t.settledAt ?? null,
  };
}

/**
 * Claims the request's key and records its transactions with their allocations and events, all or
 * nothing. `claimed` false: another request holds or completed the key (nothing was written).
 */
export async function insertAttempts(
  sql: SqlSession,
  claim: ClaimRequest,
  transactions: readonly NewTransaction[],
  events: readonly DomainEvent[],
  now: Date,
): Promise<{ claimed: boolean; inserted: number }> {
  const allocations = transactions.flatMap((t) =>
    t.allocations.map((a) => ({ transaction_id: t.id, invoice_id: a.invoiceId, amount: a.amount })),
  );
  const [row] = await sql.rows(insertAttemptsStatement, [
    ...claimParams(claim, now),
    now,
    now,
    json(transactions.map(newTransactionRow)),
    json(allocations),
    now,
    json(events.map(outboxRow)),
  ]);
  return { claimed: row.claimed > 0, inserted: row.inserted };
}

export interface OutcomeFacts {
  transaction: LedgerTransaction;
  allocations: Allocation[];
  /** The invoices the transaction is allocated to, their amounts as if it had the status asked about. */
  invoices: InvoiceFacts[];
  /** A refund's charge. */
  charge: LedgerTransaction | null;
}

export async function readOutcome(sql: SqlSession, transactionId: string, asIfStatus: TransactionStatus): Promise<OutcomeFacts | null> {
  const [row] = await sql.rows(outcomeRead, [transactionId, asIfStatus, transactionId]);
  if (!row) return null;
  return {
    transaction: ledgerTransaction(row),
    allocations: (row.allocations ?? []).map((a) => ({ invoiceId: a.invoiceId, amount: BigInt(a.amount) })),
    invoices: (row.invoices ?? []).map(invoiceFacts),
    charge: row.charge && ledgerTransaction(row.charge),
  };
}

export async function readAmountsAsIf(
  sql: SqlSession,
  invoiceIds: readonly string[],
  transactionId: string,
  status: TransactionStatus,
): Promise<InvoiceFacts[]> {
  const [row] = await sql.rows(amountsAsIf, [transactionId, status, pgArray(invoiceIds)]);
  return (row.invoices ?? []).map(invoiceFacts);
}

export interface LedgerChanges {
  transactions: readonly TransactionChange[];
  /**
   * Every invoice whose amounts the changes move, with the version they were read at and its status
   * now: each is updated (its version bumped) only if still at that version.
   */
  invoices: readonly { id: string; status: InvoiceStatus; version: number }[];
  events: readonly DomainEvent[];
  /** The request's key, completed with `result` in the same transaction as the effect. */
  claim?: { request: ClaimRequest; result: string } | null;
  jobs: readonly QueuedJob[];
}

/** Writes the changes; false (and the caller must roll back) when an invoice moved on since it was read. */
export async function recordChanges(sql: SqlSession, changes: LedgerChanges, now: Date): Promise<boolean> {
  const rows = changes.transactions.map((c) => ({
    id: c.id,
    status: c.status,
    processor_reference: c.processorReference,
    method: c.method,
    card_brand: c.cardBrand,
    card_last4: c.cardLast4,
    authorization_code: c.authorizationCode,
    fee: c.fee,
    failure_code: c.failureCode,
    failure_message: c.failureMessage,
    settlement: c.settlement,
    settled_at: c.settledAt,
    next_action: c.nextAction,
  }));
  const jobs = changes.jobs.map((j) => ({ name: j.name, payload: j.payload, max_attempts: j.maxAttempts, job_key: j.jobKey ?? null }));
  const [row] = await sql.rows(recordChangesStatement, [
    json(rows),
    now,
    json(changes.invoices),
    now,
    now,
    json(changes.events.map(outboxRow)),
    ...completeClaimParams(changes.claim?.request ?? null, changes.claim?.result ?? null, now),
    json(jobs),
  ]);
  return row.invoices === changes.invoices.length;
}

/** The attempts on an invoice that wait for their customer's action. */
export async function readAwaitingOnInvoice(sql: SqlSession, invoiceId: string): Promise<string[]> {
  return (await sql.rows(awaitingOnInvoice, [invoiceId])).map((row) => row.id);
}

export async function readViews(sql: SqlSession, ids: readonly string[]): Promise<TransactionView[]> {
  if (!ids.length) return [];
  const rows = await sql.rows(viewsByIds, [pgArray(ids)]);
  const byId = new Map(rows.map((row) => [row.id, transactionView(row)]));
  return ids.map((id) => byId.get(id)).filter((view): view is TransactionView => view !== undefined);
}

export async function readTransactions(sql: SqlSession, ids: readonly string[]): Promise<LedgerTransaction[]> {
  if (!ids.length) return [];
  return (await sql.rows(ledgerByIds, [pgArray(ids)])).map(ledgerTransaction);
}

export async function findByProcessorReference(
  sql: SqlSession,
  reference: string,
  kind: TransactionKind,
): Promise<LedgerTransaction | null> {
  const [row] = await sql.rows(ledgerByReference, [reference, kind]);
  return row ? ledgerTransaction(row) : null;
}

export { changeOf };

/** The change that leaves a transaction as it is: outcomes start from it and set what they decide. */
function changeOf(transaction: LedgerTransaction): TransactionChange {
  return {
    id: transaction.id,
    status: transaction.status,
    processorReference: transaction.processorReference,
    method: transaction.method,
    cardBrand: transaction.cardBrand,
    cardLast4: transaction.cardLast4,
    authorizationCode: transaction.authorizationCode,
    fee: transaction.fee,
    failureCode: transaction.failureCode,
    failureMessage: transaction.failureMessage,
    settlement: transaction.settlement,
    settledAt: transaction.settledAt,
    nextAction: transaction.nextAction,
  };
}

// ---- disputes ------------------------------------------------------------------------------------

/**
 * A disputed charge, found by its processor reference and locked (a refund's phase 1 locks it too,
 * after its invoices), with its allocations and what live refunds already took back from each invoice.
 */
const disputedChargeRead = new PreparedStatement<
  LedgerRow & { allocations: { invoiceId: string; amount: string }[] | null; refunded: { invoiceId: string; amount: string }[] | null }
>(
  'kp_ledger_disputed_charge',
  `select ${LEDGER_COLUMNS},
     (select json_agg(json_build_object('invoiceId', a.invoice_id, 'amount', a.amount::text) order by a.invoice_id)
        from transaction_allocation a where a.transaction_id = t.id) as allocations,
     (select json_agg(json_build_object('invoiceId', ra.invoice_id, 'amount', ra.amount::text))
        from "transaction" r join transaction_allocation ra on ra.transaction_id = r.id
        where r.refund_of_id = t.id and r.kind = 'REFUND' and r.status in ('PENDING', 'PROCESSING', 'SUCCEEDED')) as refunded
   from "transaction" t where t.processor_reference = ? and t.kind = 'CHARGE'
   for update of t`,
);

/** A dispute's transaction, once: a second sync of the same dispute (its key) inserts nothing. */
const insertDisputeStatement = new PreparedStatement<{ inserted: number }>(
  'kp_ledger_insert_dispute',
  `with txn as (
     ${INSERT_TRANSACTIONS}
     on conflict (merchant_id, idempotency_key) do nothing
     returning id
   ),
   allocation as (${INSERT_ALLOCATIONS}),
   event as (${insertOutboxRowsSql('exists (select 1 from txn)')})
   select (select count(*) from txn)::int as inserted`,
);

export interface DisputedCharge {
  charge: LedgerTransaction;
  allocations: Allocation[];
  /** What live refunds already took back, per invoice. */
  refunded: Allocation[];
}

/** The charge a processor's payment reference names, locked; null when it is not one of ours. */
export async function lockDisputedCharge(sql: SqlSession, paymentReference: string): Promise<DisputedCharge | null> {
  const [row] = await sql.rows(disputedChargeRead, [paymentReference]);
  if (!row) return null;
  return { charge: ledgerTransaction(row), allocations: allocationsOf(row.allocations), refunded: allocationsOf(row.refunded) };
}

/** Records a dispute's transaction (PENDING: the funds withdrawn) with its allocations and events; false when it was recorded before. */
export async function insertDisputeTransaction(
  sql: SqlSession,
  transaction: NewTransaction,
  events: readonly DomainEvent[],
  now: Date,
): Promise<boolean> {
  const allocations = transaction.allocations.map((a) => ({ transaction_id: transaction.id, invoice_id: a.invoiceId, amount: a.amount }));
  const [row] = await sql.rows(insertDisputeStatement, [
    now,
    now,
    json([newTransactionRow(transaction)]),
    json(allocations),
    now,
    json(events.map(outboxRow)),
  ]);
  return row.inserted > 0;
}
