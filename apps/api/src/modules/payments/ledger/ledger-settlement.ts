import { DomainError, ErrorCode } from '../../../domain/errors.js';
import {
  type PaymentChannel,
  SettlementState,
  settlementStateMachine,
  type TransactionKind,
  type TransactionStatus,
} from '../../../domain/statuses.js';
import { PreparedStatement } from '../../../kit/db/prepared-statement.js';
import { pgArray, type SqlSession } from '../../../kit/db/sql-session.js';
import { type DomainEvent, insertOutboxRowsSql, outboxRow } from '../../outbox/index.js';
import { transactionEvent } from './transaction.events.js';
import { TRANSACTION_VIEW_COLUMNS, type TransactionView, type TransactionViewRow, transactionView } from './transaction.view.js';

/**
 * The ledger's writes after the money moved: settlement from the processor's payouts, and the
 * merchant's reconciliation marks. Like every ledger write, each statement writes its events.
 */

/** A transaction as settlement weighs it. */
export interface SettlementRow {
  id: string;
  merchantId: string;
  kind: TransactionKind;
  status: TransactionStatus;
  amount: bigint;
  currency: string;
  channel: PaymentChannel;
  processorReference: string | null;
  settlement: SettlementState;
  settlementReference: string | null;
  fee: bigint | null;
  invoiceIds: string[];
}

interface Row {
  id: string;
  merchant_id: string;
  kind: TransactionKind;
  status: TransactionStatus;
  amount: string;
  currency: string;
  channel: PaymentChannel;
  processor_reference: string | null;
  settlement: SettlementState;
  settlement_reference: string | null;
  fee: string | null;
  invoice_ids: string[] | null;
}

const settlementRow = (row: Row): SettlementRow => ({
  id: row.id,
  merchantId: row.merchant_id,
  kind: row.kind,
  status: row.status,
  amount: BigInt(row.amount),
  currency: row.currency.trim(),
  channel: row.channel,
  processorReference: row.processor_reference,
  settlement: row.settlement,
  settlementReference: row.settlement_reference,
  fee: row.fee === null ? null : BigInt(row.fee),
  invoiceIds: row.invoice_ids ?? [],
});

// Allocations never change once written: reading them in the locking statement is safe.
const COLUMNS = `t.id, t.merchant_id, t.kind, t.status, t.amount::text as amount, t.currency, t.channel, t.processor_reference, t.settlement,
  t.settlement_reference, t.fee::text as fee, (select array_agg(a.invoice_id order by a.invoice_id) from transaction_allocation a where a.transaction_id = t.id) as invoice_ids`;

const carriedStatement = new PreparedStatement<Row>(
  'kp_ledger_lock_carried',
  `select ${COLUMNS} from "transaction" t
   where t.status = 'SUCCEEDED' and t.settlement = 'PENDING' and (t.processor_reference = any(?::text[]) or t.settlement_reference = any(?::text[]))
   order by t.id for update of t`,
);

const lateStatement = new PreparedStatement<Row>(
  'kp_ledger_lock_late_successes',
  `select ${COLUMNS} from "transaction" t
   where t.status = 'SUCCEEDED' and t.settlement = 'PENDING' and t.settlement_reference is null and t.processor_reference = any(?::text[])
   order by t.id for update of t`,
);

const settledByStatement = new PreparedStatement<Row>(
  'kp_ledger_lock_settled_by',
  `select ${COLUMNS} from "transaction" t where t.settlement_reference = ? and t.settlement = 'SETTLED' order by t.id for update of t`,
);

const settleStatement = new PreparedStatement<{ changed: number }>(
  'kp_ledger_settle',
  `with change as (
     update "transaction" t set settlement = c.settlement, settled_at = c.settled_at, settlement_reference = c.settlement_reference, fee = c.fee,
       version = t.version + 1, updated_at = ?::timestamptz
     from jsonb_to_recordset(?::jsonb) as c(id uuid, settlement text, settled_at timestamptz, settlement_reference text, fee bigint)
     where t.id = c.id
     returning t.id
   ),
   event as (${insertOutboxRowsSql()})
   select count(*)::int as changed from change`,
);

/** Succeeded, unsettled transactions that a paid payout carried (by their processor reference) or that failed payouts it resends carried. */
export async function lockCarried(
  sql: SqlSession,
  processorReferences: readonly string[],
  resentPayouts: readonly string[],
): Promise<SettlementRow[]> {
  return (await sql.rows(carriedStatement, [pgArray(processorReferences), pgArray(resentPayouts)])).map(settlementRow);
}

/** Succeeded transactions a payout carried before their success was recorded, still unsettled. */
export async function lockLateSuccesses(sql: SqlSession, processorReferences: readonly string[]): Promise<SettlementRow[]> {
  return (await sql.rows(lateStatement, [pgArray(processorReferences)])).map(settlementRow);
}

/** What a payout settled, for its failure or cancellation. */
export async function lockSettledBy(sql: SqlSession, payoutReference: string): Promise<SettlementRow[]> {
  return (await sql.rows(settledByStatement, [payoutReference])).map(settlementRow);
}

const settlementFacts = (row: SettlementRow) => ({
  settlement: row.settlement,
  settlementReference: row.settlementReference,
  fee: row.fee,
});

async function writeSettlement(
  sql: SqlSession,
  rows: SettlementRow[],
  settledAt: Date | null,
  eventType: string,
  now: Date,
): Promise<void> {
  if (!rows.length) return;
  const events: DomainEvent[] = rows.map((row) => transactionEvent(row, eventType, row.invoiceIds, settlementFacts(row)));
  const changes = rows.map((row) => ({
    id: row.id,
    settlement: row.settlement,
    settled_at: settledAt,
    settlement_reference: row.settlementReference,
    fee: row.fee?.toString() ?? null,
  }));
  await sql.rows(settleStatement, [now, JSON.stringify(changes), now, JSON.stringify(events.map(outboxRow))]);
}

/**
 * SETTLED by the payout: the money arrived at the bank on its arrival date. The processor's own fee
 * for a payment replaces our estimate (`processorFee`; the sandbox reports none).
 */
export async function markSettled(
  sql: SqlSession,
  rows: SettlementRow[],
  payout: { reference: string; arrivalDate: Date },
  processorFee: (row: SettlementRow) => bigint | null,
  now: Date,
): Promise<void> {
  const settled = rows.map((row) => {
    settlementStateMachine.assertTransition(row.settlement, SettlementState.SETTLED);
    const fee = processorFee(row);
    return {
      ...row,
      settlement: SettlementState.SETTLED,
      settlementReference: payout.reference,
      fee: fee !== null && fee > 0n ? fee : row.fee,
    };
  });
  await writeSettlement(sql, settled, payout.arrivalDate, 'transaction.settled', now);
}

/**
 * A payout that failed or was canceled after it was paid: its money is back on the processor
 * balance, PENDING again. The transactions keep the payout's reference: the payout that sends the
 * money again names the failed one, not them.
 */
export async function markSettlementReversed(sql: SqlSession, rows: SettlementRow[], now: Date): Promise<void> {
  const reversed = rows.map((row) => {
    settlementStateMachine.assertTransition(row.settlement, SettlementState.PENDING);
    return { ...row, settlement: SettlementState.PENDING };
  });
  await writeSettlement(sql, reversed, null, 'transaction.settlement_reversed', now);
}

const lockReconcilable = new PreparedStatement<{ id: string; reconciled_at: Date | null }>(
  'kp_ledger_lock_reconcilable',
  `select t.id, t.reconciled_at from "transaction" t where t.id = any(?::uuid[]) and t.merchant_id = ? order by t.id for update of t`,
);

const reconcileStatement = new PreparedStatement<TransactionViewRow>(
  'kp_ledger_reconcile',
  `with change as (
     update "transaction" t set reconciled_at = ?::timestamptz, reconciled_by = ?, version = t.version + 1, updated_at = ?::timestamptz
     where t.id = any(?::uuid[]) and t.reconciled_at is null
     returning t.id
   ),
   event as (${insertOutboxRowsSql()})
   select ${TRANSACTION_VIEW_COLUMNS} from "transaction" t where t.id = any(?::uuid[])`,
);

/**
 * Records who reconciled which transactions and when: all of them or, for any id that is not the
 * merchant's, none. Those reconciled already keep their first mark.
 */
export async function markReconciled(
  sql: SqlSession,
  merchantId: string,
  ids: readonly string[],
  by: string,
  now: Date,
): Promise<TransactionView[]> {
  const locked = await sql.rows(lockReconcilable, [pgArray(ids), merchantId]);
  if (locked.length !== ids.length)
    throw new DomainError(ErrorCode.NOT_FOUND, 'No transaction with one of those ids', { field: 'transactionIds' });
  const marking = locked.filter((row) => !row.reconciled_at).map((row) => row.id);
  const events: DomainEvent[] = marking.map((id) => ({
    merchantId,
    aggregateType: 'transaction',
    aggregateId: id,
    type: 'transaction.reconciled',
    payload: { by },
  }));
  const rows = await sql.rows(reconcileStatement, [
    now,
    by,
    now,
    pgArray(marking),
    now,
    JSON.stringify(events.map(outboxRow)),
    pgArray(ids),
  ]);
  // The statement's own reads see the rows as they were before its update: the marks are applied here.
  return rows.map((row) => transactionView(marking.includes(row.id) ? { ...row, reconciled_at: now, reconciled_by: by } : row));
}
